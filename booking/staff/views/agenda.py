"""/staff/agenda: each practitioner's consultations for a day or a week, on the clinic's clock."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy.orm import selectinload

from booking.clock import clinic_zone
from booking.extensions import db
from booking.models import Appointment, Practitioner, utcnow
from booking.staff.guard import bp
from booking.states import AppointmentStatus

VIEWS = {"day": 1, "week": 7}
# Days the agenda will page to: far enough for any real diary, near enough that no date arithmetic overflows.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class PractitionerDays:
    """One practitioner's heading, and their consultations under each day shown."""

    practitioner: Practitioner
    days: list[tuple[date, list[Appointment]]]


def day_starts_utc(day: date) -> datetime:
    """Local midnight of `day`, as naive UTC: built per day with zoneinfo, so a clock change moves it correctly."""
    return datetime.combine(day, time.min, clinic_zone()).astimezone(UTC).replace(tzinfo=None)


def local_date(stored: datetime) -> date:
    return stored.replace(tzinfo=UTC).astimezone(clinic_zone()).date()


def shown_days(day: date, view: str) -> list[date]:
    """The day itself, or the Monday-to-Sunday week around it."""
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    return [first + timedelta(days=n) for n in range(VIEWS[view])]


def agenda(days: list[date]) -> list[PractitionerDays]:
    """Every active practitioner, and anyone else holding a time on these days, with their times per local day."""
    appointments = db.session.execute(
        db.select(Appointment)
        .where(Appointment.status.in_(AppointmentStatus.holding()),
               Appointment.starts_at >= day_starts_utc(days[0]),
               Appointment.starts_at < day_starts_utc(days[-1] + timedelta(days=1)))
        .options(selectinload(Appointment.consultation_request), selectinload(Appointment.practitioner))
        .order_by(Appointment.starts_at)
    ).scalars().all()
    with_times = {appointment.practitioner_id for appointment in appointments}
    practitioners = db.session.execute(
        db.select(Practitioner).where(Practitioner.active.is_(True) | Practitioner.id.in_(with_times))
        .order_by(Practitioner.name)
    ).scalars().all()
    return [PractitionerDays(practitioner, [
        (day, [a for a in appointments if a.practitioner_id == practitioner.id and local_date(a.starts_at) == day])
        for day in days
    ]) for practitioner in practitioners]


def _asked() -> tuple[date, str]:
    """?day=YYYY-MM-DD&view=day|week; anything else means today on the clinic's clock, as a day."""
    view = request.args.get("view", "day")
    view = view if view in VIEWS else "day"
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = local_date(utcnow())
    if not EARLIEST <= day <= LATEST:
        day = local_date(utcnow())
    return day, view


@bp.get("/agenda")
def agenda_page():
    day, view = _asked()
    days = shown_days(day, view)
    step = timedelta(days=VIEWS[view])
    return render_template(
        "staff/agenda.html", day=day, view=view, days=days, agenda=agenda(days),
        earlier=max(EARLIEST, days[0] - step), later=min(LATEST, days[0] + step), today=local_date(utcnow()),
    )
