"""Free consultation times, read from the database: practitioners' hours, their time off, and booked cells."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app

from booking.appointments.hours import HoursSpecError, WeeklyHours, parse_hours
from booking.appointments.slots import (
    DAY_PARTS,
    booking_window,
    day_part,
    free_slots,
    group_by_day,
    merge_practitioners,
    slot_value,
)
from booking.clock import clinic_zone, from_stored, to_stored
from booking.extensions import db
from booking.formatting import slot_label
from booking.models import Appointment, BookedCell, Practitioner, TimeOff, utcnow
from booking.states import AppointmentStatus

WEEK = 7


@dataclass(frozen=True)
class OfferedTime:
    """One time a patient may pick: when, who would see them, and how the page writes it."""

    start: datetime  # aware UTC
    practitioner_id: int
    label: str
    value: str
    part: str = "morning"  # of the local day: morning, afternoon or evening (see slots.day_part)
    who: str = ""  # the practitioner's public name, when more than one could be seen this week


@dataclass(frozen=True)
class WeekOfTimes:
    """A week of free times for the picker, with the days either side a patient may page to."""

    first_day: date
    days: list[tuple[date, list[OfferedTime]]]
    earlier: date | None
    later: date | None

    @property
    def empty(self) -> bool:
        return not any(times for _, times in self.days)

    def open_day(self, chosen: str | None = None) -> date | None:
        """The day the picker opens on: the chosen time's day if it is this week, else the first with times."""
        for day, times in self.days:
            if chosen and any(time.value == chosen for time in times):
                return day
        return next((day for day, times in self.days if times), None)

    @staticmethod
    def by_part(times: list[OfferedTime]) -> list[tuple[str, list[OfferedTime]]]:
        """One day's times under morning, afternoon and evening, in that order, leaving out empty parts."""
        return [(part, [t for t in times if t.part == part]) for part in DAY_PARTS
                if any(t.part == part for t in times)]


def aware_now() -> datetime:
    return utcnow().replace(tzinfo=UTC)


def window(now: datetime | None = None) -> tuple[date, date]:
    """The first and last local days that can hold a bookable time."""
    cfg = current_app.config
    return booking_window(now=now or aware_now(), zone=clinic_zone(),
                          min_notice=timedelta(hours=cfg["BOOKING_MIN_NOTICE_HOURS"]),
                          horizon_days=cfg["BOOKING_HORIZON_DAYS"])


def asked_week_of(values) -> date | None:
    """The week a picker page asks for: a week button (show_week, posted) or a link's ?from=."""
    return asked_week(values.get("show_week") or values.get("from"))


def asked_week(text: str | None) -> date | None:
    """A week asked for by ?from=YYYY-MM-DD (or a week button's value); anything else means the first week."""
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def week_start(asked: date | None, now: datetime | None = None) -> date:
    """The first day of the week to show: the day asked for, held inside the booking window."""
    first, last = window(now)
    if asked is None or asked < first:
        return first
    return min(asked, last)


@lru_cache(maxsize=256)
def _weekly_hours(spec: str) -> WeeklyHours:
    """Stored hours, parsed once per distinct text: the same object each time lets slots' cache hit at once."""
    return parse_hours(spec)


@lru_cache(maxsize=8192)
def _words(start: datetime, zone: ZoneInfo, language: str) -> tuple[str, str]:
    """A start's label (in the page's language) and radio value; the same week is written on every view."""
    return slot_label(start, zone, language), slot_value(start, zone)


# Built once: every form page and every submission asks it, and building the statement cost as much as running it.
_BOOKABLE = (db.select(Practitioner).where(Practitioner.active.is_(True), Practitioner.hours != "")
             .order_by(Practitioner.id))


def _practitioners(practitioner_id: int | None) -> list[Practitioner]:
    query = _BOOKABLE
    if practitioner_id is not None:
        query = query.where(Practitioner.id == practitioner_id)
    return list(db.session.execute(query).scalars())


def free_times_by_practitioner(first_day: date, days: int, practitioner_id: int | None = None,
                               now: datetime | None = None) -> dict[int, list[datetime]]:
    """Each active practitioner's free starts (aware UTC) on local days first_day .. first_day+days."""
    cfg = current_app.config
    zone = clinic_zone()
    now = now or aware_now()
    practitioners = _practitioners(practitioner_id)
    if not practitioners:
        return {}
    ids = [p.id for p in practitioners]
    # A day either side covers any zone's offset from UTC.
    span_start = to_stored(datetime.combine(first_day - timedelta(days=1), datetime.min.time(), zone))
    span_end = to_stored(datetime.combine(first_day + timedelta(days=days + 1), datetime.min.time(), zone))
    time_off: dict[int, list[tuple[datetime, datetime]]] = {pid: [] for pid in ids}
    for pid, away, back in db.session.execute(
            db.select(TimeOff.practitioner_id, TimeOff.starts_at, TimeOff.ends_at).where(
                TimeOff.practitioner_id.in_(ids), TimeOff.ends_at > span_start, TimeOff.starts_at < span_end)):
        time_off[pid].append((from_stored(away), from_stored(back)))
    booked: dict[int, set[datetime]] = {pid: set() for pid in ids}
    for pid, cell in db.session.execute(db.select(BookedCell.practitioner_id, BookedCell.starts_at).where(
            BookedCell.practitioner_id.in_(ids), BookedCell.starts_at >= span_start,
            BookedCell.starts_at < span_end)):
        booked[pid].add(from_stored(cell))
    found = {}
    for practitioner in practitioners:
        try:
            hours = _weekly_hours(practitioner.hours)
        except HoursSpecError:  # stored hours are written by parse/format; never fail a patient's page on them
            current_app.logger.error("Practitioner %s has unreadable hours", practitioner.id)
            continue
        found[practitioner.id] = free_slots(
            hours=hours, time_off=time_off[practitioner.id], booked_cells=booked[practitioner.id], zone=zone,
            now=now, minutes=cfg["CONSULTATION_MINUTES"],
            min_notice=timedelta(hours=cfg["BOOKING_MIN_NOTICE_HOURS"]),
            horizon_days=cfg["BOOKING_HORIZON_DAYS"], first_day=first_day, days=days,
        )
    return found


def practitioner_load(ids: list[int]) -> dict[int, int]:
    """Upcoming appointments each practitioner holds, so new ones go to whoever has fewest."""
    rows = db.session.execute(
        db.select(Appointment.practitioner_id, db.func.count())
        .where(Appointment.practitioner_id.in_(ids), Appointment.starts_at >= utcnow(),
               Appointment.status.in_(AppointmentStatus.holding()))
        .group_by(Appointment.practitioner_id)
    ).all()
    return {pid: count for pid, count in rows}


def week_of_times(asked: date | None = None, practitioner_id: int | None = None,
                  now: datetime | None = None, language: str = "en") -> WeekOfTimes:
    """Free times for one week, merged across practitioners (or one practitioner's), grouped by day.

    With no week asked for, the first week that has a free time is shown: a practitioner who works only
    on Saturdays, seen on a Saturday evening, has nothing in the seven days from tomorrow, and an empty
    first page would read as "fully booked". A week asked for is shown as asked, even when empty.
    """
    week = _one_week(asked, practitioner_id, now, language)
    while asked is None and week.empty and week.later is not None:
        week = _one_week(week.later, practitioner_id, now, language)
    return week


def _public_names(per_practitioner: dict[int, list[datetime]]) -> dict[int, str]:
    """Who a patient would see, written on each time when several practitioners share the week."""
    rows = db.session.execute(db.select(Practitioner.id, Practitioner.name, Practitioner.public_title)
                              .where(Practitioner.id.in_(list(per_practitioner))))
    return {pid: public_name(name, title) for pid, name, title in rows}


def public_name(name: str, title: str | None) -> str:
    """The name with the title beside it, as patients read it: "Avery Lee, PT, DPT"."""
    return f"{name}, {title}" if title else name


@lru_cache(maxsize=8192)
def _part(start: datetime, zone: ZoneInfo) -> str:
    return day_part(start.astimezone(zone).time())


def _one_week(asked: date | None, practitioner_id: int | None, now: datetime | None,
              language: str) -> WeekOfTimes:
    zone = clinic_zone()
    first_allowed, last_allowed = window(now)
    first_day = week_start(asked, now)
    per_practitioner = free_times_by_practitioner(first_day, WEEK, practitioner_id, now)
    merged = merge_practitioners(per_practitioner, practitioner_load(list(per_practitioner)))
    names = _public_names(per_practitioner) if len(per_practitioner) > 1 else {}
    offered = {start: OfferedTime(start, pid, *_words(start, zone, language), part=_part(start, zone),
                                  who=names.get(pid, "")) for start, pid in merged.items()}
    grouped = {day: [offered[start] for start in starts] for day, starts in group_by_day(offered, zone)}
    days = [(first_day + timedelta(days=n), grouped.get(first_day + timedelta(days=n), []))
            for n in range(WEEK) if first_day + timedelta(days=n) <= last_allowed]
    earlier = max(first_allowed, first_day - timedelta(days=WEEK)) if first_day > first_allowed else None
    later = first_day + timedelta(days=WEEK) if first_day + timedelta(days=WEEK) <= last_allowed else None
    return WeekOfTimes(first_day, days, earlier, later)


def practitioners_free_at(start: datetime, practitioner_id: int | None = None,
                          now: datetime | None = None) -> list[int]:
    """Who could see a patient at this start (aware UTC), fewest upcoming appointments first."""
    day = start.astimezone(clinic_zone()).date()
    per_practitioner = free_times_by_practitioner(day, 1, practitioner_id, now)
    free = [pid for pid, starts in per_practitioner.items() if start in starts]
    load = practitioner_load(free)
    return sorted(free, key=lambda pid: (load.get(pid, 0), pid))


def active_practitioners() -> list[Practitioner]:
    return _practitioners(None)


# The same practitioners, as two columns rather than ORM objects: the form's choice, on every view and post.
_BOOKABLE_NAMES = _BOOKABLE.with_only_columns(Practitioner.id, Practitioner.name)


def bookable_names() -> list[tuple[int, str]]:
    """(id, name) of every practitioner a patient can book, in the order the form offers them."""
    return [(row.id, row.name) for row in db.session.execute(_BOOKABLE_NAMES)]
