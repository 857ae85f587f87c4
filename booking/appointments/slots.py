"""Consultation times: which starts a practitioner can offer, and which time cells each one holds.

Pure Python: no Flask, no database. Every datetime in and out is aware; the ones returned are UTC.
Local wall times are built per day with zoneinfo and converted to UTC one by one (never a fixed
offset, never a timedelta added across days), so a 9:00 start stays 9:00 on both sides of a clock
change, as Cal.com #30021 and Easy!Appointments #962 failed to.
"""

from bisect import bisect_left
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from booking.appointments.hours import WeeklyHours, first_instant_from, wall_time_utc

CELL_MINUTES = 5
UTC = timezone.utc
_MAX_SLOT_VALUE = 40


def local_starts(hours: WeeklyHours, zone: ZoneInfo, day: date, minutes: int) -> list[datetime]:
    """The consultation starts on one local day, as aware UTC, in order (see _day_starts for the rule).

    Every page of the picker asks for the same days of the same hours again: the answer depends on
    nothing else, so it is worked out once per (hours, zone, day, length) and then reused.
    """
    try:
        return list(_cached_day_starts(hours, zone, day, minutes))
    except TypeError:  # hours given as a plain dict, which cannot be a cache key
        return _day_starts(hours, zone, day, minutes)


@lru_cache(maxsize=4096)
def _cached_day_starts(hours: WeeklyHours, zone: ZoneInfo, day: date, minutes: int) -> tuple[datetime, ...]:
    return tuple(_day_starts(hours, zone, day, minutes))


def _day_starts(hours: WeeklyHours, zone: ZoneInfo, day: date, minutes: int) -> list[datetime]:
    """The consultation starts on one local day, as aware UTC, in order.

    The rule, so clock changes neither invent nor lose a slot:
    - starts step by `minutes` in wall time from each range's start ("09:00", "09:30", ...);
    - a wall start the clocks skip (spring forward) is not offered;
    - a wall start the clocks repeat (fall back) means its first occurrence only, so never twice;
    - a slot lasts exactly `minutes` of real time from its start, and must end by the range's end
      (the first instant the clock reads the end time, the jump itself if that time is skipped);
    - a start that would overlap the slot before it in real time (a length that does not divide
      the skipped hour) is not offered, so one practitioner's slots never overlap.
    """
    _check_minutes(minutes)
    length = timedelta(minutes=minutes)
    starts: list[datetime] = []
    for range_start, range_end in hours.ranges_on(day.weekday()):
        real_end = first_instant_from(day, range_end, zone)
        wall = datetime.combine(day, range_start)
        while wall.date() == day and wall.time() < range_end:
            start = wall_time_utc(day, wall.time(), zone)
            if start is not None and start + length <= real_end:
                if not starts or start >= starts[-1] + length:
                    starts.append(start)
            wall += length  # wall-clock arithmetic on a naive local time, within the day
    return starts


def cells(start_utc: datetime, minutes: int) -> list[datetime]:
    """The 5-minute cells (aware UTC starts) an appointment holds; two overlapping ones share one.

    A unique (practitioner, cell start) constraint on these lets the database refuse a double
    booking. Starts must sit on the UTC 5-minute grid, or overlapping times could miss each other.
    """
    _check_minutes(minutes)
    start = _as_utc(start_utc)
    if start.minute % CELL_MINUTES or start.second or start.microsecond:
        raise ValueError(f"{start.isoformat()} is not on the {CELL_MINUTES}-minute grid")
    return [start + timedelta(minutes=offset) for offset in range(0, minutes, CELL_MINUTES)]


def booking_window(
    *, now: datetime, zone: ZoneInfo, min_notice: timedelta, horizon_days: int
) -> tuple[date, date]:
    """The first and last local days that can hold a bookable start, for clamping ?from= and paging.

    The horizon counts local calendar days including today: with 42, today and the next 41 days.
    """
    today = _as_utc(now).astimezone(zone).date()
    first = (_as_utc(now) + min_notice).astimezone(zone).date()
    return first, today + timedelta(days=horizon_days - 1)


def free_slots(
    *,
    hours: WeeklyHours,
    time_off: Iterable[tuple[datetime, datetime]],
    booked_cells: set[datetime],
    zone: ZoneInfo,
    now: datetime,
    minutes: int,
    min_notice: timedelta,
    horizon_days: int,
    first_day: date,
    days: int = 7,
) -> list[datetime]:
    """One practitioner's bookable starts (aware UTC, in order) on local days first_day .. +days.

    A start is offered when it is at or after now + min_notice, on a local day within the horizon
    (see booking_window), its [start, start + minutes) overlaps no time off, and none of its cells
    is booked. This only narrows the list: the database's unique cells still decide a race.
    """
    earliest = _as_utc(now) + min_notice
    _, last_day = booking_window(
        now=now, zone=zone, min_notice=min_notice, horizon_days=horizon_days
    )
    absences = [(_as_utc(start), _as_utc(end)) for start, end in time_off]
    taken = sorted({_as_utc(cell) for cell in booked_cells})
    length = timedelta(minutes=minutes)
    offered: list[datetime] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day > last_day:
            break
        for start in local_starts(hours, zone, day, minutes):
            if start < earliest:
                continue
            end = start + length
            if absences and any(away < end and start < back for away, back in absences):
                continue
            # A booked cell starting in [start, end) is one of cells(start): one binary search finds it.
            first_taken = bisect_left(taken, start)
            if first_taken == len(taken) or taken[first_taken] >= end:
                offered.append(start)
    return offered


def merge_practitioners(
    per_practitioner: dict[int, list[datetime]], load: dict[int, int]
) -> dict[datetime, int]:
    """Each start anyone offers -> who takes it: the free one with fewest appointments, lowest id.

    The patient sees one merged list; spreading by current load keeps one therapist from filling
    first. Keys come out in time order.
    """
    offers: dict[datetime, list[int]] = {}
    for practitioner_id, starts in per_practitioner.items():
        for start in starts:
            offers.setdefault(_as_utc(start), []).append(practitioner_id)
    return {
        start: min(ids, key=lambda pid: (load.get(pid, 0), pid))
        for start, ids in sorted(offers.items())
    }


DAY_PARTS = ("morning", "afternoon", "evening")


def day_part(local: time) -> str:
    """Where a local start falls in the day, for the picker's groups: before noon, before 5 pm, or later."""
    if local.hour < 12:
        return "morning"
    return "afternoon" if local.hour < 17 else "evening"


def group_by_day(starts: Iterable[datetime], zone: ZoneInfo) -> list[tuple[date, list[datetime]]]:
    """Starts grouped under their local day, both in order, for the picker's day headings."""
    days: dict[date, list[datetime]] = {}
    for start in sorted(_as_utc(start) for start in starts):
        days.setdefault(start.astimezone(zone).date(), []).append(start)
    return list(days.items())


def slot_value(start_utc: datetime, zone: ZoneInfo) -> str:
    """The radio's value: local ISO 8601 with its offset, "2027-03-15T09:00:00-04:00"."""
    return _as_utc(start_utc).astimezone(zone).isoformat(timespec="seconds")


def parse_slot_value(text: str, zone: ZoneInfo) -> datetime:
    """A posted slot value back to aware UTC; anything but what slot_value writes is a ValueError.

    Only the exact form slot_value gives is accepted, so a value whose offset does not match the
    clinic's zone at that time (edited, or from before a zone change) is refused, not reinterpreted.
    Whether the time is still free is for the caller to check against free_slots and the database.
    """
    if not isinstance(text, str) or len(text) > _MAX_SLOT_VALUE:
        raise ValueError("not a consultation time")
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError
        start = moment.astimezone(UTC)
        if slot_value(start, zone) != text:
            raise ValueError
    except (ValueError, OverflowError):
        raise ValueError("not a consultation time") from None
    return start


def _check_minutes(minutes: int) -> None:
    """Lengths off the cell grid would leave part of an appointment outside every cell."""
    if minutes <= 0 or minutes % CELL_MINUTES:
        raise ValueError(f"a consultation lasts a positive multiple of {CELL_MINUTES} minutes")


def _as_utc(moment: datetime) -> datetime:
    """Refuse naive datetimes: one compared with an aware one would silently never match."""
    if moment.tzinfo is UTC:  # already UTC (every start this module returns): the picker's common case
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(UTC)
