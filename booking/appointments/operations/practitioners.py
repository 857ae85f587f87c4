"""What administrators change about practitioners, for the command line and /staff/availability alike.

Every change is made in the caller's transaction (the view or command commits once) and is logged once, by
practitioner id: a name is not a secret, but the log needs no more than the id.
"""

import secrets
from datetime import date, datetime, time

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from booking.appointments.hours import first_instant_from, format_hours, parse_hours, parse_time_off
from booking.clock import clinic_time, clinic_zone
from booking.extensions import db
from booking.logs import log_on_commit
from booking.models import EMAIL_MAX, NAME_MAX, Appointment, Practitioner, TimeOff, utcnow
from booking.states import AppointmentStatus

DEMO_NAME = "Demo therapist"
DEMO_HOURS = "mon-fri 09:00-12:00,13:00-17:00"


class PractitionerError(ValueError):
    """Something typed about a practitioner that staff can correct; the message says what."""


class PractitionerExists(PractitionerError):
    """The database already holds a practitioner with that name."""


def canonical_hours(spec: str) -> str:
    """The one stored form of a spec; raises HoursSpecError naming the wrong part."""
    return format_hours(parse_hours(spec))


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise PractitionerError("the name is empty: write the practitioner's name as patients know it")
    if len(name) > NAME_MAX:
        raise PractitionerError(f"the name is longer than {NAME_MAX} characters")
    return name


def clean_email(email: str | None) -> str | None:
    """An optional address, checked by email-validator and stored in its normal form."""
    if email is None or not email.strip():
        return None
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise PractitionerError(f'"{email.strip()}" is not an email address') from None
    if len(checked.normalized) > EMAIL_MAX:
        raise PractitionerError(f"the email address is longer than {EMAIL_MAX} characters")
    return checked.normalized


def find_practitioner(name: str) -> Practitioner | None:
    """By name as typed, ignoring extra spaces."""
    query = db.select(Practitioner).where(Practitioner.name == " ".join(name.split()))
    return db.session.execute(query).scalar_one_or_none()


def all_practitioners() -> list[Practitioner]:
    return list(db.session.execute(db.select(Practitioner).order_by(Practitioner.name)).scalars())


def add_practitioner(name: str, hours: str, email: str | None = None) -> Practitioner:
    """A new, active practitioner; the unique name constraint, not a lookup first, refuses a second one."""
    practitioner = Practitioner(name=_clean_name(name), hours=canonical_hours(hours), email=clean_email(email),
                                active=True)
    db.session.add(practitioner)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise PractitionerExists(f'there is already a practitioner named "{practitioner.name}"') from None
    log_on_commit(db.session, "Practitioner %s added", practitioner.id)
    return practitioner


def set_hours(practitioner: Practitioner, spec: str) -> Practitioner:
    """New weekly hours; times already held stay held, only what is offered next changes."""
    practitioner.hours = canonical_hours(spec)
    log_on_commit(db.session, "Hours of practitioner %s changed", practitioner.id)
    return practitioner


def add_time_off(practitioner: Practitioner, from_text: str, to_text: str | None = None) -> TimeOff:
    """FROM [TO] on the clinic's clock, stored as naive UTC; raises TimeOffError naming the wrong part."""
    starts_at, ends_at = parse_time_off(from_text, to_text, clinic_zone())
    time_off = TimeOff(practitioner=practitioner, starts_at=starts_at.replace(tzinfo=None),
                       ends_at=ends_at.replace(tzinfo=None))
    db.session.add(time_off)
    db.session.flush()  # its id, for the log and the caller
    log_on_commit(db.session, "Time off %s added for practitioner %s", time_off.id, practitioner.id)
    return time_off


def remove_time_off(practitioner: Practitioner, time_off_id: int) -> bool:
    """False when it was already gone (a second click, another administrator): nothing to do."""
    removed = db.session.execute(
        db.delete(TimeOff).where(TimeOff.id == time_off_id, TimeOff.practitioner_id == practitioner.id)
    ).rowcount
    db.session.expire(practitioner, ["time_off"])
    if removed:
        log_on_commit(db.session, "Time off %s removed for practitioner %s", time_off_id, practitioner.id)
    return bool(removed)


def set_active(practitioner: Practitioner, active: bool) -> Practitioner:
    """An inactive practitioner offers no new times; held times stay for staff to move or release."""
    practitioner.active = active
    log_on_commit(db.session, "Practitioner %s %s", practitioner.id, "activated" if active else "deactivated")
    return practitioner


def new_feed_token(practitioner: Practitioner) -> str:
    """A fresh secret for the private calendar feed; any earlier feed URL stops working."""
    practitioner.feed_token = secrets.token_urlsafe(32)
    log_on_commit(db.session, "Calendar feed of practitioner %s given a new address", practitioner.id)
    return practitioner.feed_token


def revoke_feed_token(practitioner: Practitioner) -> None:
    practitioner.feed_token = None
    log_on_commit(db.session, "Calendar feed of practitioner %s revoked", practitioner.id)


def practitioner_for_feed(token: str) -> Practitioner | None:
    """The practitioner whose feed this token opens; None for an unknown or revoked one."""
    if not token:
        return None
    return db.session.execute(db.select(Practitioner).where(Practitioner.feed_token == token)).scalar_one_or_none()


def feed_appointments(practitioner: Practitioner, now: datetime | None = None) -> list[Appointment]:
    """The times this practitioner's patients hold, from the start of today on the clinic's clock."""
    today = clinic_time(now or utcnow()).date()
    since = first_instant_from(today, time(0), clinic_zone()).replace(tzinfo=None)
    query = (
        db.select(Appointment)
        .where(Appointment.practitioner_id == practitioner.id, Appointment.ends_at > since,
               Appointment.status.in_(AppointmentStatus.holding()))
        .order_by(Appointment.starts_at)
    )
    return list(db.session.execute(query).scalars())


def upcoming_time_off(practitioner: Practitioner, now: datetime | None = None) -> list[TimeOff]:
    """Time off not yet over, soonest first."""
    moment = now or utcnow()
    return [time_off for time_off in practitioner.time_off if time_off.ends_at > moment]


def describe_time_off(time_off: TimeOff) -> str:
    """On the clinic's clock, in the form staff type it: whole days as dates, parts of days with times."""
    start, end = clinic_time(time_off.starts_at), clinic_time(time_off.ends_at)
    zone = clinic_zone()
    if _is_midnight(start.date(), time_off.starts_at) and _is_midnight(end.date(), time_off.ends_at):
        last = date.fromordinal(end.date().toordinal() - 1)
        return f"{start:%Y-%m-%d}" if last == start.date() else f"{start:%Y-%m-%d} to {last:%Y-%m-%d}"
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M} to {end:%H:%M} ({zone.key})"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({zone.key})"


def _is_midnight(day: date, stored: datetime) -> bool:
    return first_instant_from(day, time(0), clinic_zone()).replace(tzinfo=None) == stored


def seed_demo_practitioner() -> Practitioner | None:
    """Development only: with no practitioner at all, one "Demo therapist" so `make run` shows times.

    None when there is already a practitioner (or another process seeded one first). The caller commits.
    """
    if db.session.execute(db.select(Practitioner.id).limit(1)).first() is not None:
        return None
    try:
        return add_practitioner(DEMO_NAME, DEMO_HOURS)
    except PractitionerExists:
        return None
