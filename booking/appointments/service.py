"""What happens to an appointment: held with its request, confirmed, offered, moved, released or cancelled.

The database decides every race: an appointment's five-minute cells have (practitioner, start) as their
primary key, so a second appointment overlapping the first fails to insert on SQLite and PostgreSQL
alike. Nothing here checks-then-inserts; a check is only used to pick who to try.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from booking.appointments import emails
from booking.appointments.attendance import attendance_after_patient_cancel
from booking.appointments.availability import aware_now, practitioners_free_at
from booking.appointments.slots import cells
from booking.clock import to_stored
from booking.extensions import db
from booking.i18n import N_
from booking.models import Appointment, BookedCell, ConsultationRequest, WaitlistEntry
from booking.states import AppointmentStatus, WaitlistStatus


class TimeTaken(Exception):
    """Someone else holds that time now (or it is no longer offered): the patient must choose another."""


# What every picker says after TimeTaken: the intake form, the patient's appointment page, the staff offer page.
TIME_TAKEN = N_("That time was just taken. Please choose another.")


class NotAllowed(Exception):
    """The appointment is not in a state where that can be done; the message says why."""


def _take_cells(appointment: Appointment) -> None:
    """Insert the appointment's cells; an overlap with anyone else's raises IntegrityError."""
    minutes = current_app.config["CONSULTATION_MINUTES"]
    start = appointment.starts_at.replace(tzinfo=UTC)
    db.session.execute(db.insert(BookedCell), [
        {"practitioner_id": appointment.practitioner_id, "starts_at": to_stored(cell),
         "appointment_id": appointment.id}
        for cell in cells(start, minutes)
    ])


def _free_cells(appointment: Appointment) -> None:
    db.session.execute(db.delete(BookedCell).where(BookedCell.appointment_id == appointment.id))


def _place(appointment: Appointment, start: datetime, practitioner_id: int) -> None:
    minutes = current_app.config["CONSULTATION_MINUTES"]
    appointment.practitioner_id = practitioner_id
    appointment.starts_at = to_stored(start)
    appointment.ends_at = to_stored(start + timedelta(minutes=minutes))


def candidates(start: datetime, practitioner_id: int | None = None) -> list[int]:
    """Practitioners free at `start` right now, fewest upcoming appointments first; none means taken."""
    free = practitioners_free_at(start, practitioner_id)
    if not free:
        raise TimeTaken(start)
    return free


def hold_time(consultation: ConsultationRequest, start: datetime, practitioner_id: int) -> Appointment:
    """Add the appointment and its cells to the caller's transaction; the caller commits (or sees IntegrityError)."""
    auto = _confirms_at_once(bool(consultation.raised_flags))
    return _hold(Appointment(consultation_request=consultation, status=_held_status(auto)), auto, start,
                 practitioner_id)


def hold_time_for(request_id: int, flagged: bool, start: datetime, practitioner_id: int) -> Appointment:
    """hold_time for a request inserted without an ORM object (the intake form's one-statement insert)."""
    auto = _confirms_at_once(flagged)
    return _hold(Appointment(request_id=request_id, status=_held_status(auto)), auto, start, practitioner_id)


def _confirms_at_once(flagged: bool) -> bool:
    return current_app.config["BOOKING_AUTO_CONFIRM"] and not flagged


def _held_status(auto: bool) -> AppointmentStatus:
    return AppointmentStatus.CONFIRMED if auto else AppointmentStatus.HELD


def _hold(appointment: Appointment, auto: bool, start: datetime, practitioner_id: int) -> Appointment:
    _place(appointment, start, practitioner_id)
    db.session.add(appointment)
    db.session.flush()
    _take_cells(appointment)
    if auto:
        emails.enqueue_confirmation(appointment)
    return appointment


def cells_taken(start: datetime, practitioner_id: int) -> bool:
    """After a failed insert: is it this time that someone else took?"""
    minutes = current_app.config["CONSULTATION_MINUTES"]
    wanted = [to_stored(cell) for cell in cells(start, minutes)]
    return db.session.execute(
        db.select(db.func.count()).select_from(BookedCell)
        .where(BookedCell.practitioner_id == practitioner_id, BookedCell.starts_at.in_(wanted))
    ).scalar_one() > 0


def join_waitlist(request_id: int) -> None:
    """The patient found no time that suits and asked to hear when one frees up; the caller commits."""
    db.session.execute(db.insert(WaitlistEntry.__table__), {"request_id": request_id})


def _commit_new_time(appointment: Appointment, start: datetime, practitioner_ids: list[int],
                     status: AppointmentStatus) -> None:
    """Move an appointment to `start` with the first practitioner whose cells insert; TimeTaken if none do."""
    for practitioner_id in practitioner_ids:
        _free_cells(appointment)
        _place(appointment, start, practitioner_id)
        appointment.status = status
        appointment.sequence += 1
        try:
            db.session.flush()
            _take_cells(appointment)
            emails.after_time_change(appointment)
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
    raise TimeTaken(start)


def confirm(appointment: Appointment) -> None:
    """The front desk's one click: a held time becomes the patient's confirmed appointment."""
    if appointment.status is not AppointmentStatus.HELD:
        raise NotAllowed(f"Only a held time can be confirmed; this one is {appointment.status.title.lower()}.")
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.sequence += 1
    emails.enqueue_confirmation(appointment)
    db.session.commit()
    current_app.logger.info("Appointment for request %s confirmed", appointment.consultation_request.reference)


def offer(appointment: Appointment, start: datetime, practitioner_id: int | None = None) -> None:
    """Staff offer another time: it is held for the patient, who may accept it or choose again."""
    if not appointment.holds_time:
        raise NotAllowed("This appointment no longer holds a time.")
    _commit_new_time(appointment, start, candidates(start, practitioner_id), AppointmentStatus.OFFERED)
    current_app.logger.info("Another time offered for request %s", appointment.consultation_request.reference)


def accept_offer(appointment: Appointment) -> None:
    """The patient takes the time staff offered."""
    if appointment.status is not AppointmentStatus.OFFERED:
        raise NotAllowed("There is no offered time to accept.")
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.sequence += 1
    emails.enqueue_confirmation(appointment)
    db.session.commit()


def move(appointment: Appointment, start: datetime, practitioner_id: int | None = None) -> None:
    """The patient changes the time: the new one is theirs, under the same guarantee, or nothing changes."""
    if not appointment.holds_time:
        raise NotAllowed("This appointment was cancelled.")
    keep = AppointmentStatus.CONFIRMED if appointment.status is AppointmentStatus.CONFIRMED else AppointmentStatus.HELD
    _commit_new_time(appointment, start, candidates(start, practitioner_id), keep)
    current_app.logger.info("Appointment for request %s moved", appointment.consultation_request.reference)


def _stop_waiting(consultation: ConsultationRequest) -> None:
    """Mark the patient's place as used, atomically: of two clicks on one link, only one goes on."""
    taken = db.session.execute(
        db.update(WaitlistEntry)
        .where(WaitlistEntry.request_id == consultation.id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .values(status=WaitlistStatus.BOOKED)
    ).rowcount
    if taken != 1:
        raise NotAllowed("You are no longer on the waiting list.")


def book_from_waitlist(consultation: ConsultationRequest, start: datetime, practitioner_id: int) -> Appointment:
    """A waiting patient takes a freed time with one POST: first come, first served, by the same cells."""
    appointment = consultation.appointment
    if appointment is not None and appointment.holds_time:
        raise NotAllowed("You already have a consultation time.")
    if not practitioners_free_at(start, practitioner_id):
        raise TimeTaken(start)
    _stop_waiting(consultation)
    if appointment is None:
        appointment = Appointment(consultation_request=consultation, status=AppointmentStatus.CONFIRMED)
        _place(appointment, start, practitioner_id)
        db.session.add(appointment)
        try:
            db.session.flush()
            _take_cells(appointment)
            emails.enqueue_confirmation(appointment)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise TimeTaken(start) from None
        return appointment
    # A cancelled or released appointment takes the new time; its confirmation comes with the change.
    _commit_new_time(appointment, start, [practitioner_id], AppointmentStatus.CONFIRMED)
    return appointment


def _let_go(appointment: Appointment, status: AppointmentStatus, refusal: str) -> datetime:
    """Free the time at once and tell waiting patients; returns the freed start (aware UTC).

    The state change is one conditional UPDATE, so of two cancellations at once (two tabs, a double click
    racing a staff release) exactly one goes through and sends its emails; the other gets NotAllowed.
    """
    taken = db.session.execute(
        db.update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.status.in_(AppointmentStatus.holding()))
        .values(status=status, sequence=Appointment.sequence + 1)
    ).rowcount
    if taken != 1:
        db.session.rollback()
        raise NotAllowed(refusal)
    db.session.refresh(appointment)
    freed = appointment.starts_at.replace(tzinfo=UTC)
    _free_cells(appointment)
    emails.withdraw_reminder(appointment)
    if freed > aware_now():
        emails.offer_to_waitlist(appointment, freed)
    return freed


def release(appointment: Appointment) -> None:
    """Staff give a held time back: the request carries on as a plain request."""
    _let_go(appointment, AppointmentStatus.RELEASED, "This appointment does not hold a time.")
    db.session.commit()
    current_app.logger.info("Time released for request %s", appointment.consultation_request.reference)


def cancel(appointment: Appointment, by_patient: bool = True) -> None:
    """Cancelled: the time is free at once, the clinic is told, the patient gets a cancellation."""
    _let_go(appointment, AppointmentStatus.CANCELLED, "This appointment was already cancelled.")
    if by_patient:
        attendance_after_patient_cancel(appointment)
    emails.enqueue_cancellation(appointment)
    db.session.commit()
    who = "the patient" if by_patient else "staff"
    current_app.logger.info("Appointment for request %s cancelled by %s", appointment.consultation_request.reference,
                            who)


def within_cancel_cutoff(appointment: Appointment, now: datetime | None = None) -> bool:
    """Too close to the time to change it online: the patient is asked to call."""
    now = now or aware_now()
    cutoff = timedelta(hours=current_app.config["CANCEL_CUTOFF_HOURS"])
    return appointment.starts_at.replace(tzinfo=UTC) - now < cutoff
