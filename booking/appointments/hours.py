"""A practitioner's weekly hours and time off, read from the short text staff type.

Pure Python: no Flask, no database. Hours are kept as their canonical spec text (``format_hours``)
wherever they are stored, and parsed again on reading, so the text the CLI accepts is the only
format.

Grammar (case-insensitive, spaces free around separators)::

    spec   = group { ";" group }            e.g. "mon-fri 09:00-12:00,13:00-17:00; sat 08:00-12:00"
    group  = days ranges
    days   = day-item { "," day-item }      a day-item is a day ("wed") or a run of days ("mon-fri")
    ranges = range { "," range }            a range is "HH:MM-HH:MM", 24-hour, on the 5-minute grid

A run of days goes forward through the week, mon to sun: "fri-mon" is refused (with the spelling
that means it) because a reversed run is more often a slip than a wish. A day's ranges may touch
("09:00-12:00,12:00-13:00") but not overlap, and a day belongs to one group only, so each day's
hours are read in one place. The last possible end is 23:55: nobody books a physio past midnight.
"""

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GRID_MINUTES = 5
Range = tuple[time, time]

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_DAYS_PREFIX = re.compile(r"[A-Za-z,\-\s]*")
_LOCAL = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?")


class HoursSpecError(ValueError):
    """A weekly hours spec staff can correct: the message quotes the part that is wrong."""


class TimeOffError(ValueError):
    """A time off staff can correct: the message quotes the part that is wrong."""


class WeeklyHours(Mapping[int, tuple[Range, ...]]):
    """Weekday (0 = Monday .. 6 = Sunday) -> sorted ranges; immutable, so safe to share."""

    __slots__ = ("_days",)

    def __init__(self, days: Mapping[int, tuple[Range, ...]]) -> None:
        self._days = {day: tuple(sorted(days[day])) for day in sorted(days) if days[day]}

    def __getitem__(self, weekday: int) -> tuple[Range, ...]:
        return self._days[weekday]

    def __iter__(self) -> Iterator[int]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)

    def __hash__(self) -> int:
        return hash(tuple(self._days.items()))

    def __repr__(self) -> str:
        return f"parse_hours({format_hours(self)!r})"

    def ranges_on(self, weekday: int) -> tuple[Range, ...]:
        """A closed day has no ranges rather than a KeyError, so callers need no special case."""
        return self._days.get(weekday, ())


def parse_hours(spec: str) -> WeeklyHours:
    """Read staff's spec, refusing anything ambiguous with a message that names the wrong part."""
    groups = [group.strip() for group in spec.split(";") if group.strip()]
    if not groups:
        raise HoursSpecError('the hours are empty: write e.g. "mon-fri 09:00-12:00,13:00-17:00"')
    days: dict[int, tuple[Range, ...]] = {}
    for group in groups:
        weekdays, ranges = _parse_group(group)
        for weekday in weekdays:
            if weekday in days:
                raise HoursSpecError(
                    f'"{DAY_NAMES[weekday]}" is given twice: put all of a day\'s times in one group'
                )
            days[weekday] = ranges
    return WeeklyHours(days)


def format_hours(hours: Mapping[int, tuple[Range, ...]]) -> str:
    """The canonical spec: days sharing the same ranges are written once, in week order."""
    by_ranges: dict[tuple[Range, ...], list[int]] = {}
    for weekday in sorted(hours):
        if hours[weekday]:
            by_ranges.setdefault(tuple(sorted(hours[weekday])), []).append(weekday)
    groups = sorted(by_ranges.items(), key=lambda item: item[1][0])
    return "; ".join(
        f"{_format_days(weekdays)} {','.join(_format_range(r) for r in ranges)}"
        for ranges, weekdays in groups
    )


def _parse_group(group: str) -> tuple[list[int], tuple[Range, ...]]:
    """One "days ranges" group; the days are everything before the first digit."""
    prefix = _DAYS_PREFIX.match(group).group()
    days_text, ranges_text = prefix.strip(), group[len(prefix) :].strip()
    if not days_text:
        raise HoursSpecError(f'"{group}" has no days before its times: write e.g. "mon {group}"')
    if not ranges_text:
        raise HoursSpecError(f'"{group}" has no times: write e.g. "{group} 09:00-12:00"')
    weekdays = _parse_days(days_text)
    ranges = sorted(_parse_range(item.strip()) for item in ranges_text.split(","))
    for earlier, later in zip(ranges, ranges[1:]):
        if later[0] < earlier[1]:
            raise HoursSpecError(
                f'"{_format_range(later)}" overlaps "{_format_range(earlier)}"'
            )
    return weekdays, tuple(ranges)


def _parse_days(text: str) -> list[int]:
    """"mon,wed-fri" -> [0, 2, 3, 4], refusing a day listed twice within the group."""
    weekdays: list[int] = []
    for item in (part.strip().lower() for part in text.split(",")):
        if "-" in item:
            first, _, last = (part.strip() for part in item.partition("-"))
            start, end = _parse_day(first), _parse_day(last)
            if end < start:
                meant = _format_days(list(range(start, 7)) + list(range(0, end + 1)))
                raise HoursSpecError(
                    f'"{item}" runs backwards: days run from mon to sun, so write "{meant}"'
                )
            run = range(start, end + 1)
        else:
            run = range(_parse_day(item), _parse_day(item) + 1)
        for weekday in run:
            if weekday in weekdays:
                raise HoursSpecError(
                    f'"{DAY_NAMES[weekday]}" is given twice: put all of a day\'s times in one group'
                )
            weekdays.append(weekday)
    return weekdays


def _parse_day(name: str) -> int:
    if name not in DAY_NAMES:
        raise HoursSpecError(f'"{name}" is not a day: use mon, tue, wed, thu, fri, sat or sun')
    return DAY_NAMES.index(name)


def _parse_range(text: str) -> Range:
    """"09:00-12:00" -> (time(9), time(12)), on the grid and running forwards."""
    parts = [part.strip() for part in text.split("-")]
    if len(parts) != 2 or not all(parts):
        raise HoursSpecError(
            f'"{text}" is not a time range: write HH:MM-HH:MM, e.g. "09:00-12:00",'
            " and separate ranges with commas"
        )
    start, end = (_parse_time(part) for part in parts)
    if end < start:
        raise HoursSpecError(f'"{text}" ends before it starts')
    if end == start:
        raise HoursSpecError(f'"{text}" ends when it starts')
    return start, end


def _parse_time(text: str) -> time:
    match = _TIME.fullmatch(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise HoursSpecError(f'"{text}" is not a time of day: write 24-hour HH:MM, e.g. "13:30"')
    hour, minute = int(match[1]), int(match[2])
    if minute % GRID_MINUTES:
        raise HoursSpecError(
            f'"{text}" is not on the 5-minute grid: appointments start and end on :00, :05, :10 ...'
        )
    return time(hour, minute)


def _format_days(weekdays: list[int]) -> str:
    """Runs of two or more days as "mon-fri", single days alone: [0, 2, 3, 4] -> "mon,wed-fri"."""
    runs: list[list[int]] = []
    for weekday in sorted(set(weekdays)):
        if runs and runs[-1][-1] == weekday - 1:
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    return ",".join(
        DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"
        for run in runs
    )


def _format_range(hours_range: Range) -> str:
    return f"{hours_range[0]:%H:%M}-{hours_range[1]:%H:%M}"


def parse_time_off(
    from_text: str, to_text: str | None, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """Staff's FROM [TO] as an aware-UTC [start, end), read on the clinic's wall clock.

    "YYYY-MM-DD" means the whole day: as FROM it starts at that day's local midnight, as TO it
    ends at the next day's (TO is inclusive). "YYYY-MM-DD HH:MM" (or with "T") is that local wall
    time exactly. With no TO, the time off runs to the end of FROM's day. A wall time the clocks
    skip is refused; one they repeat means its first occurrence.
    """
    start_day, start_time = _parse_local(from_text, "FROM")
    end_day, end_time = start_day, None
    if to_text is not None and to_text.strip():
        end_day, end_time = _parse_local(to_text, "TO")
    try:
        if start_time is None:
            start = first_instant_from(start_day, time(0), zone)
        else:
            start = _existing_instant(start_day, start_time, zone, from_text)
        if end_time is None:
            end = first_instant_from(end_day + timedelta(days=1), time(0), zone)
        else:
            end = _existing_instant(end_day, end_time, zone, to_text)
    except OverflowError:
        dates = f'"{from_text}" to "{to_text}"' if to_text else f'"{from_text}"'
        raise TimeOffError(f"{dates} runs off the calendar: give dates near today") from None
    if end == start and end_time is not None:
        raise TimeOffError(f'the time off ends ("{to_text}") when it starts ("{from_text}")')
    if end <= start:
        raise TimeOffError(f'the time off ends ("{to_text}") before it starts ("{from_text}")')
    return start, end


def _parse_local(text: str, role: str) -> tuple[date, time | None]:
    """A date, and the time of day when one is given."""
    match = _LOCAL.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError
        day = date.fromisoformat(match[1])
        if match[2] is None:
            return day, None
        hour, minute = (int(part) for part in match[2].split(":"))
        return day, time(hour, minute)
    except ValueError:
        raise TimeOffError(
            f'{role} "{text}" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'
        ) from None


def _existing_instant(day: date, wall: time, zone: ZoneInfo, text: str) -> datetime:
    """Staff typed a wall time the clocks skip: say so rather than guess which hour they meant."""
    instant = wall_time_utc(day, wall, zone)
    if instant is None:
        raise TimeOffError(
            f'"{text.strip()}" does not exist in {zone.key}: the clocks skip that time that day'
        )
    return instant


def wall_time_utc(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """A local wall time on one day as aware UTC: None if the clocks skip it, the first if repeated.

    Built per day with zoneinfo (fold=0), never by adding an offset, so 9:00 stays 9:00 across a
    clock change.
    """
    local = datetime.combine(day, wall, tzinfo=zone)
    instant = local.astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def first_instant_from(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant the local clock reads `wall` or later that day, as aware UTC.

    A boundary (midnight, a range's end) that falls in skipped time is the moment the clocks jump.
    Real transitions are on whole minutes, so stepping a minute at a time finds it.
    """
    local = datetime.combine(day, wall)
    while (instant := wall_time_utc(local.date(), local.time(), zone)) is None:
        local += timedelta(minutes=1)
    return instant
