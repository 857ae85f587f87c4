"""Recording a consultation request: the one place a request and the emails it owes are written."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from booking.appointments.operations import TimeTaken, candidates, cells_taken, hold_time_for, join_waitlist
from booking.extensions import db
from booking.i18n import current_language
from booking.intake.emails import enqueue_request_emails, time_payload
from booking.lifecycle.operations import booked_at_intake
from booking.models import ConsultationRequest
from booking.states import AppointmentStatus

# No 0/O, 1/I/L or U: easy to read aloud over the phone and to type back.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "JPT"


def new_reference() -> str:
    """A short code like JPT-7K3M-Q9XD: random (about 39 bits), so neither guessable nor sequential."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"


def find_by_reference(reference: str) -> ConsultationRequest | None:
    return db.session.execute(
        db.select(ConsultationRequest).filter_by(reference=reference)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class ChosenTime:
    """The consultation time a patient picked on the form, and the practitioner they asked for, if any."""

    start: datetime  # aware UTC
    practitioner_id: int | None = None


@dataclass(frozen=True)
class StoredRequest:
    """What the confirmation needs of a stored request: no ORM object to flush, expire and reload."""

    id: int
    reference: str


_TABLE = ConsultationRequest.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@cache
def _insert_new(dialect: str):
    """INSERT ... ON CONFLICT (submission_token) DO NOTHING RETURNING id: a resent form inserts nothing."""
    return (_INSERTS[dialect](_TABLE).on_conflict_do_nothing(index_elements=[_TABLE.c.submission_token])
            .returning(_TABLE.c.id))


def _insert_request(columns: dict) -> int | None:
    """The new row's id, or None when this form was stored before (the database decides, even in a race)."""
    statement = _insert_new(db.session.get_bind().dialect.name)
    return db.session.execute(statement, columns).scalar_one_or_none()


def _stored_before(token: str) -> StoredRequest | None:
    """The request a resent form created the first time, if it did."""
    row = db.session.execute(
        db.select(_TABLE.c.id, _TABLE.c.reference).where(_TABLE.c.submission_token == token)
    ).one_or_none()
    return StoredRequest(row.id, row.reference) if row else None


def record_consultation_request(answers: dict, chosen: ChosenTime | None = None,
                                waitlist: bool = False) -> tuple[StoredRequest, bool]:
    """Store the request, the time it holds and its notifications, in one transaction.

    Returns (request, created). A form that was already sent (double click, back and resend)
    returns the request it created the first time, so one person in pain is one request.
    Raises TimeTaken when every practitioner free at the chosen time was taken by someone else first:
    the booked cells' primary key refused the insert, so the patient chooses again.
    """
    token = answers["submission_token"]
    flagged = any(flag != "none" for flag in answers["screening_flags"])
    practitioners = []
    if chosen:
        try:
            practitioners = candidates(chosen.start, chosen.practitioner_id)
        except TimeTaken:  # perhaps by an earlier press of this same form: then that press's answer
            if (stored := _stored_before(token)) is None:
                raise
            return stored, False
    draws_left = 5
    while True:
        reference = new_reference()
        try:
            request_id = _insert_request({**answers, "reference": reference, "flagged": flagged})
            if request_id is None:  # the same form was stored first, by an earlier press or a racing one
                stored = _stored_before(token)
                db.session.rollback()
                if stored is not None:
                    return stored, False
                draws_left -= 1  # erased in the instant between: store it anew, but not for ever
                if not draws_left:
                    raise SQLAlchemyError("a resent form's first request kept vanishing")
                continue
            appointment = None
            if chosen:
                appointment = hold_time_for(request_id, flagged, chosen.start, practitioners[0])
                if appointment.status is AppointmentStatus.CONFIRMED:
                    booked_at_intake(request_id, appointment)
            elif waitlist:
                join_waitlist(request_id)
            enqueue_request_emails(request_id, time_payload(appointment, waitlist))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if chosen and cells_taken(chosen.start, practitioners[0]):
                practitioners.pop(0)  # someone took this practitioner's time first; another may be free
                if not practitioners:
                    raise TimeTaken(chosen.start) from None
                continue
            draws_left -= 1
            if not draws_left:
                raise  # not a reference collision after all: the caller keeps the answers on screen
            continue  # a reference collision: draw another
        current_app.logger.info("Consultation request %s stored", reference)
        return StoredRequest(request_id, reference), True


def answers_from(form) -> dict:
    """The columns of a ConsultationRequest, from a validated form."""
    return {
        "submission_token": form.submission_token.data,
        "name": form.name.data,
        "email": form.email.data,
        "phone": form.phone.data or "",
        "phone_e164": getattr(form.phone, "e164", "") if form.phone.data else "",
        "contact_method": form.contact_method.data,
        "language": current_language(),
        "consultation_language": form.consultation_language.data or "",
        "interpreter": form.interpreter.data or "",
        "condition": form.condition.data,
        "condition_other": (form.condition_other.data or "") if form.condition.data == "other" else "",
        "body_area": form.body_area.data or "",
        "side": form.side.data or "",
        "duration": form.duration.data or "",
        "pain_level": int(form.pain_level.data) if form.pain_level.data else None,
        "description": form.description.data,
        "had_dry_needling": form.had_dry_needling.data or "",
        "screening_flags": list(form.screening.data),
        "preferred_days": list(form.preferred_days.data),
        "preferred_times": list(form.preferred_times.data),
        "consent_contact": bool(form.consent_contact.data),
        "consent_privacy": bool(form.consent_privacy.data),
    }
