"""The SQL behind /staff/numbers: aggregates that run the same on SQLite and PostgreSQL.

Weeks are the clinic's Monday-to-Sunday weeks. Their edges are worked out in Python (local midnight per day
with zoneinfo, so a clock change moves them right) and handed to SQL as plain UTC instants; a CASE over them
puts each row in its week, and GROUP BY counts. Neither dialect's date functions are used.

Two figures are not plain counts: the median time to the first staff action, and whether a time was
confirmed within one business day. Neither SQLite nor PostgreSQL share a median aggregate (PostgreSQL's
percentile_cont has no SQLite twin) or date arithmetic, so those rows' two timestamps are selected by SQL
and the durations worked out in booking/numbers/figures.py. No query reads a name, a contact detail or
an answer other than the condition's key and the language.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case

from booking.clock import clinic_zone
from booking.extensions import db
from booking.models import Appointment, ConsultationRequest, Notification, RequestEvent, WaitlistEntry
from booking.states import WaitlistStatus

WEEKS = 12
WAITLIST_OFFER = "waitlist_offer"  # the outbox kind booking/appointments/emails.py registers


@dataclass(frozen=True)
class Weeks:
    """The first day of each of the weeks shown, and the UTC instants (naive, as stored) where each begins."""

    firsts: list[date]
    edges: list[datetime]  # one more than firsts: the last is where the last week ends

    @property
    def start(self) -> datetime:
        return self.edges[0]

    @property
    def end(self) -> datetime:
        return self.edges[-1]

    def index_of(self, stored: datetime) -> int | None:
        """Which week a stored (naive UTC) time falls in, or None outside them."""
        for index in range(len(self.firsts)):
            if self.edges[index] <= stored < self.edges[index + 1]:
                return index
        return None


def last_weeks(today: date, count: int = WEEKS) -> Weeks:
    """The week holding `today` (a clinic-local date) and the count - 1 weeks before it."""
    monday = today - timedelta(days=today.weekday())
    firsts = [monday - timedelta(weeks=count - 1 - n) for n in range(count)]
    zone = clinic_zone()
    edges = [datetime.combine(day, time.min, zone).astimezone(UTC).replace(tzinfo=None)
             for day in [*firsts, monday + timedelta(weeks=1)]]
    return Weeks(firsts, edges)


def _week_of(column, weeks: Weeks):
    """SQL: the index of the week a stored time falls in (the caller keeps rows inside the weeks)."""
    return case(*[(column < weeks.edges[n + 1], n) for n in range(len(weeks.firsts))], else_=None)


def requests_received(weeks: Weeks) -> list[tuple[int, str, str, int, int]]:
    """(week, condition, language, requests, requests with a time booked) for requests received in the weeks."""
    rows = (db.select(_week_of(ConsultationRequest.created_at, weeks).label("week"),
                      ConsultationRequest.condition, ConsultationRequest.language,
                      ConsultationRequest.id.label("request_id"), Appointment.id.label("appointment_id"))
            .outerjoin(Appointment, Appointment.request_id == ConsultationRequest.id)
            .where(ConsultationRequest.created_at >= weeks.start, ConsultationRequest.created_at < weeks.end)
            .subquery())
    return _grouped(rows, db.func.count(rows.c.request_id), db.func.count(rows.c.appointment_id))


def request_timings(weeks: Weeks) -> list[tuple[datetime, str, str, datetime | None, datetime | None]]:
    """(received, condition, language, first staff action, time confirmed) for requests received in the weeks."""
    first_action = (db.select(RequestEvent.request_id, db.func.min(RequestEvent.created_at).label("at"))
                    .where(RequestEvent.staff_id.is_not(None)).group_by(RequestEvent.request_id).subquery())
    return [tuple(row) for row in db.session.execute(
        db.select(ConsultationRequest.created_at, ConsultationRequest.condition, ConsultationRequest.language,
                  first_action.c.at, Appointment.confirmed_at)
        .outerjoin(first_action, first_action.c.request_id == ConsultationRequest.id)
        .outerjoin(Appointment, Appointment.request_id == ConsultationRequest.id)
        .where(ConsultationRequest.created_at >= weeks.start, ConsultationRequest.created_at < weeks.end)
        .order_by(ConsultationRequest.created_at)
    )]


def attendance(weeks: Weeks) -> list[tuple[int, str, str, str, int]]:
    """(week, condition, language, attendance, appointments) for appointments whose time fell in the weeks."""
    rows = (db.select(_week_of(Appointment.starts_at, weeks).label("week"),
                      ConsultationRequest.condition, ConsultationRequest.language,
                      Appointment.attendance, Appointment.id.label("appointment_id"))
            .join(ConsultationRequest, ConsultationRequest.id == Appointment.request_id)
            .where(Appointment.attendance.is_not(None), Appointment.starts_at >= weeks.start,
                   Appointment.starts_at < weeks.end)
            .subquery())
    return _grouped(rows, db.func.count(rows.c.appointment_id), by=[rows.c.attendance])


def waitlist_offers(weeks: Weeks) -> list[tuple[int, str, str, int, int]]:
    """(week, condition, language, offers sent, patients offered that week who have since taken a time)."""
    rows = (db.select(_week_of(Notification.created_at, weeks).label("week"),
                      ConsultationRequest.condition, ConsultationRequest.language,
                      Notification.id.label("offer_id"),
                      case((WaitlistEntry.status == WaitlistStatus.BOOKED, Notification.request_id),
                           else_=None).label("taken_by"))
            .join(ConsultationRequest, ConsultationRequest.id == Notification.request_id)
            .outerjoin(WaitlistEntry, WaitlistEntry.request_id == Notification.request_id)
            .where(Notification.kind == WAITLIST_OFFER, Notification.created_at >= weeks.start,
                   Notification.created_at < weeks.end)
            .subquery())
    return _grouped(rows, db.func.count(rows.c.offer_id), db.func.count(db.distinct(rows.c.taken_by)))


def _grouped(rows, *aggregates, by=()) -> list[tuple]:
    """Count a subquery's rows by week, condition and language (and `by`): grouping by the subquery's plain
    columns, not by the CASE itself, which PostgreSQL would not match to the same CASE in the SELECT list."""
    keys = [rows.c.week, rows.c.condition, rows.c.language, *by]
    return [tuple(row) for row in db.session.execute(db.select(*keys, *aggregates).group_by(*keys))]
