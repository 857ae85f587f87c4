"""The numbers as the page, its charts and the CSV show them: per week, in total, and split by condition
and by the patient's language. Built from booking/numbers/queries.py's rows; no database here.

Each figure counts in the week it happened: requests, first actions, bookings and confirmations in the week
the request arrived; attendance in the week of the appointment; waitlist offers in the week they were sent.
"""

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.numbers.queries import Weeks
from booking.states import Attendance

ALL = "all"


@dataclass
class Figures:
    """One row of numbers: a week, or the total, of everyone or of one condition or language."""

    requests: int = 0
    booked: int = 0
    confirmed_within_a_business_day: int = 0
    arrived: int = 0
    no_show: int = 0
    cancelled_late: int = 0
    offers_sent: int = 0
    offers_taken: int = 0
    first_action_hours: list[float] = field(default_factory=list)

    @property
    def median_first_action_hours(self) -> float | None:
        """None when no request in the row has had a staff action yet."""
        return round(statistics.median(self.first_action_hours), 1) if self.first_action_hours else None

    @property
    def booked_share(self) -> float | None:
        return _share(self.booked, self.requests)

    @property
    def confirmed_share(self) -> float | None:
        return _share(self.confirmed_within_a_business_day, self.requests)

    def add(self, other: "Figures") -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _share(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None (shown as a dash) when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Split:
    """Figures per week and in total, for one group (everyone, a condition, a language)."""

    key: str
    label: str
    weeks: list[Figures]
    total: Figures


@dataclass
class Numbers:
    weeks: Weeks
    everyone: Split
    by_condition: list[Split]
    by_language: list[Split]


def one_business_day_after(received: datetime, zone: ZoneInfo) -> datetime:
    """The same clock time on the next day that is not a Saturday or Sunday, on the clinic's clock (naive UTC)."""
    due = received.replace(tzinfo=UTC).astimezone(zone) + timedelta(days=1)  # wall-clock arithmetic in the zone
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due.astimezone(UTC).replace(tzinfo=None)


def build(weeks: Weeks, zone: ZoneInfo, *, received, timings, attendance, offers,
          condition_label: Callable[[str], str], language_label: Callable[[str], str]) -> Numbers:
    """Every figure from the queries' rows (see queries.py for each row's shape)."""
    count = len(weeks.firsts)
    cells: dict[tuple[str, str], list[Figures]] = {}

    def rows_for(condition: str, language: str) -> Iterable[list[Figures]]:
        for key in ((ALL, ALL), ("condition", condition), ("language", language)):
            yield cells.setdefault(key, [Figures() for _ in range(count)])

    for week, condition, language, requests, booked in received:
        for row in rows_for(condition, language):
            row[week].requests += requests
            row[week].booked += booked
    for created, condition, language, first_action, confirmed in timings:
        week = weeks.index_of(created)
        if week is None:
            continue
        for row in rows_for(condition, language):
            if first_action is not None:
                row[week].first_action_hours.append(max(0.0, (first_action - created).total_seconds() / 3600))
            if confirmed is not None and confirmed <= one_business_day_after(created, zone):
                row[week].confirmed_within_a_business_day += 1
    for week, condition, language, outcome, appointments in attendance:
        name = Attendance(outcome).value
        for row in rows_for(condition, language):
            setattr(row[week], name, getattr(row[week], name) + appointments)
    for week, condition, language, sent, taken in offers:
        for row in rows_for(condition, language):
            row[week].offers_sent += sent
            row[week].offers_taken += taken

    def split(kind: str, value: str, label: str) -> Split:
        per_week = cells.get((kind, value)) or [Figures() for _ in range(count)]
        total = Figures()
        for figures in per_week:
            total.add(figures)
        return Split(value, label, per_week, total)

    def groups(kind: str, label: Callable[[str], str]) -> list[Split]:
        found = [split(kind, value, label(value)) for (k, value) in cells if k == kind]
        return sorted(found, key=lambda s: (-s.total.requests, s.label))

    return Numbers(weeks, split(ALL, ALL, "All requests"), groups("condition", condition_label),
                   groups("language", language_label))


# The CSV's and the table's columns, in order: (heading, how to read it from Figures).
COLUMNS: list[tuple[str, Callable[[Figures], object]]] = [
    ("Requests received", lambda f: f.requests),
    ("Median hours to first staff action", lambda f: f.median_first_action_hours),
    ("Requests with a time booked", lambda f: f.booked),
    ("Share with a time booked (%)", lambda f: f.booked_share),
    ("Confirmed within one business day", lambda f: f.confirmed_within_a_business_day),
    ("Share confirmed within one business day (%)", lambda f: f.confirmed_share),
    ("Arrived", lambda f: f.arrived),
    ("No-show", lambda f: f.no_show),
    ("Cancelled late", lambda f: f.cancelled_late),
    ("Waitlist offers sent", lambda f: f.offers_sent),
    ("Waitlist offers taken", lambda f: f.offers_taken),
]


def week_label(first: date) -> str:
    return f"Week of {first.isoformat()}"
