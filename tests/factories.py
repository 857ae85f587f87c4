"""Rows written straight to the database, for tests that need something to work on, not the form itself.

Each factory needs an app context, commits, and returns the new row; keyword arguments set its columns.
"""

import secrets
from functools import cache

import pyotp
from werkzeug.security import generate_password_hash

from booking.extensions import db
from booking.intake.operations import new_reference
from booking.models import ConsultationRequest, Notification, StaffUser, utcnow
from booking.models.staff import password_method
from booking.staff.operations.two_step import encrypt_secret

PASSWORD = "a long enough passphrase"
# The two emails the intake owes for every request, as it stores them.
REQUEST_NOTIFICATION_KINDS = ("clinic_new_request", "patient_acknowledgement")


def make_request(*, notifications: bool = True, **overrides) -> ConsultationRequest:
    """A request as the intake stores Maria's valid answers, with its two emails owed unless told not to."""
    columns = {
        "reference": new_reference(),
        "submission_token": secrets.token_urlsafe(24),
        "name": "Maria Lopez",
        "email": "maria@example.org",
        "phone": "(541) 555-0123",
        "phone_e164": "+15415550123",
        "contact_method": "phone",
        "condition": "plantar_fasciitis",
        "body_area": "ankle_foot",
        "side": "left",
        "duration": "3_to_12_months",
        "pain_level": 7,
        "description": "Sharp heel pain with the first steps every morning.",
        "had_dry_needling": "no",
        "screening_flags": ["blood_thinners", "needle_fear"],
        "preferred_days": ["tue", "thu"],
        "preferred_times": ["morning"],
        "consent_contact": True,
        "consent_privacy": True,
        **overrides,
    }
    consultation = ConsultationRequest(**columns)
    if "flagged" not in overrides:
        consultation.flagged = bool(consultation.raised_flags)
    db.session.add(consultation)
    if notifications:
        for kind in REQUEST_NOTIFICATION_KINDS:
            db.session.add(_notification(consultation, kind))
    db.session.commit()
    return consultation


def _notification(consultation: ConsultationRequest, kind: str, **overrides) -> Notification:
    return Notification(consultation_request=consultation, kind=kind,
                        message_id=f"<{secrets.token_hex(12)}@clinic.test>", **overrides)


def make_notification(consultation: ConsultationRequest, kind: str = "clinic_new_request",
                      **overrides) -> Notification:
    """One email owed for a request, pending and due now unless `overrides` say otherwise."""
    notification = _notification(consultation, kind, **overrides)
    db.session.add(notification)
    db.session.commit()
    return notification


def _password_hash(password: str) -> str:
    """One real scrypt hash per password and cost per session (the app's PASSWORD_HASH_METHOD)."""
    return _hashed(password, password_method())


@cache
def _hashed(password: str, method: str) -> str:
    return generate_password_hash(password, method=method)


def make_staff(email: str = "desk@clinic.test", password: str = PASSWORD, *, is_admin: bool = False,
               two_step: bool = True, **overrides) -> StaffUser:
    """A staff account that can log in with `password` (and, unless two_step=False, an authenticator app
    already set up: tests.fixtures.staff.log_in reads its key); an administrator with is_admin=True."""
    if two_step:
        overrides = {"totp_secret": encrypt_secret(pyotp.random_base32()), "totp_confirmed_at": utcnow(),
                     **overrides}
    staff = StaffUser(email=email, is_admin=is_admin, password_hash=_password_hash(password), **overrides)
    db.session.add(staff)
    db.session.commit()
    return staff


def make_practitioner(name: str = "Avery Lee", hours: str = "mon-fri 09:00-12:00,13:00-17:00",
                      **overrides):
    """An active practitioner whose weekly hours are stored in canonical form, as the CLI and admin page store them."""
    from booking.appointments.hours import format_hours, parse_hours
    from booking.models import Practitioner

    practitioner = Practitioner(name=name, hours=format_hours(parse_hours(hours)) if hours else "", **overrides)
    db.session.add(practitioner)
    db.session.commit()
    return practitioner


def make_appointment(start, *, practitioner=None, consultation=None, status=None):
    """A time held through appointment_operations.hold_time, so its booked cells are real and the guard applies.

    `start` is an aware datetime; without a request or practitioner, new ones are made. `status` changes the
    held appointment's status afterwards (e.g. confirmed), as appointment_operations would leave it.
    """
    from booking.appointments.operations import hold_time

    practitioner = practitioner or make_practitioner()
    consultation = consultation or make_request()
    appointment = hold_time(consultation, start, practitioner.id)
    if status is not None:
        appointment.status = status
    db.session.commit()
    return appointment


def make_appointment_at(practitioner, starts_at, *, status=None, consultation=None, **overrides) -> "Appointment":
    """An appointment holding its time cells (naive-UTC `starts_at`), for a new request unless one is given."""
    from datetime import UTC, timedelta

    from flask import current_app

    from booking.appointments.slots import cells
    from booking.models import Appointment, BookedCell
    from booking.states import AppointmentStatus

    minutes = current_app.config["CONSULTATION_MINUTES"]
    appointment = Appointment(
        consultation_request=consultation or make_request(notifications=False),
        practitioner_id=practitioner.id, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
        status=status or AppointmentStatus.HELD, **overrides,
    )
    db.session.add(appointment)
    db.session.flush()
    if appointment.holds_time:
        db.session.add_all(
            BookedCell(practitioner_id=practitioner.id, starts_at=cell.replace(tzinfo=None), appointment_id=appointment.id)
            for cell in cells(starts_at.replace(tzinfo=UTC), minutes)
        )
    db.session.commit()
    return appointment


def first_free_time(practitioner_id: int | None = None, after=None):
    """The first time the picker offers (aware UTC), from the week that holds `after` (a local date)."""
    from booking.appointments.queries import week_of_times

    week = week_of_times(after, practitioner_id)
    while True:
        for _, times in week.days:
            if times:
                return times[0]
        assert week.later is not None, "no free time within the booking horizon"
        week = week_of_times(week.later, practitioner_id)


def make_confirmed_appointment(consultation: ConsultationRequest | None = None, *, start=None, practitioner=None,
                               confirmed: bool = True, **request_overrides):
    """An appointment held the way the intake holds one (cells included), then confirmed by the desk unless told not.

    Confirming queues the confirmation and its reminder, as the front desk's click does.
    """
    from booking.appointments import operations as appointment_operations

    consultation = consultation or make_request(**request_overrides)
    practitioner = practitioner or make_practitioner()
    start = start or first_free_time(practitioner.id).start
    appointment = appointment_operations.hold_time(consultation, start, practitioner.id)
    db.session.commit()
    if confirmed:
        from booking.lifecycle import operations

        operations.confirm_time(consultation, operations.SYSTEM)
        db.session.commit()
    return appointment
