"""The mechanics of an appointment's time: held with its request, confirmed, offered, moved, let go.

Nothing here commits, writes history or decides who is told: booking.lifecycle.operations does that, in
the caller's one transaction. The database decides every race: an appointment's five-minute cells have
(practitioner, start) as their primary key, so a second appointment overlapping the first fails to insert
on SQLite and PostgreSQL alike. Nothing here checks-then-inserts; a check is only used to pick who to try.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from booking.appointments import emails
from booking.appointments.queries import aware_now, practitioners_free_at
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
    auto = confirms_at_once(bool(consultation.raised_flags))
    return _hold(Appointment(consultation_request=consultation, status=_held_status(auto)), auto, start,
                 practitioner_id)


def hold_time_for(request_id: int, flagged: bool, start: datetime, practitioner_id: int) -> Appointment:
    """hold_time for a request inserted without an ORM object (the intake form's one-statement insert)."""
    auto = confirms_at_once(flagged)
    return _hold(Appointment(request_id=request_id, status=_held_status(auto)), auto, start, practitioner_id)


def confirms_at_once(flagged: bool) -> bool:
    """BOOKING_AUTO_CONFIRM confirms a time at once, unless the patient raised a screening flag."""
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


_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _try_take_cells(appointment: Appointment) -> bool:
    """Insert the cells unless someone holds any of them: one statement, no error that spoils the transaction.

    ON CONFLICT DO NOTHING waits for a racing transaction's cells and skips those it committed, so the row
    count says whether every cell is this appointment's. If not, the ones it did get are given back.
    """
    minutes = current_app.config["CONSULTATION_MINUTES"]
    start = appointment.starts_at.replace(tzinfo=UTC)
    rows = [{"practitioner_id": appointment.practitioner_id, "starts_at": to_stored(cell),
             "appointment_id": appointment.id} for cell in cells(start, minutes)]
    insert = _INSERTS[db.session.get_bind().dialect.name](BookedCell).values(rows).on_conflict_do_nothing()
    if db.session.execute(insert).rowcount == len(rows):
        return True
    _free_cells(appointment)
    return False


def _new_time(appointment: Appointment, start: datetime, practitioner_ids: list[int],
              status: AppointmentStatus) -> None:
    """Move an appointment to `start` with the first practitioner whose cells are free; TimeTaken if none are."""
    _free_cells(appointment)
    for practitioner_id in practitioner_ids:
        _place(appointment, start, practitioner_id)
        db.session.flush()
        if _try_take_cells(appointment):
            appointment.status = status
            appointment.sequence += 1
            return
    raise TimeTaken(start)


def confirm(appointment: Appointment) -> None:
    """A held time becomes the patient's confirmed appointment."""
    if appointment.status is not AppointmentStatus.HELD:
        raise NotAllowed(f"Only a held time can be confirmed; this one is {appointment.status.title.lower()}.")
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.sequence += 1


def offer(appointment: Appointment, start: datetime, practitioner_id: int | None = None) -> None:
    """Another time, held for the patient, who may accept it or choose again."""
    if not appointment.holds_time:
        raise NotAllowed("This appointment no longer holds a time.")
    _new_time(appointment, start, candidates(start, practitioner_id), AppointmentStatus.OFFERED)


def accept_offer(appointment: Appointment) -> None:
    """The patient takes the time staff offered."""
    if appointment.status is not AppointmentStatus.OFFERED:
        raise NotAllowed("There is no offered time to accept.")
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.sequence += 1


def move(appointment: Appointment, start: datetime, practitioner_id: int | None = None) -> None:
    """The patient changes the time: the new one is theirs, under the same guarantee, or nothing changes."""
    if not appointment.holds_time:
        raise NotAllowed("This appointment was cancelled.")
    keep = AppointmentStatus.CONFIRMED if appointment.status is AppointmentStatus.CONFIRMED else AppointmentStatus.HELD
    _new_time(appointment, start, candidates(start, practitioner_id), keep)


def stop_waiting(consultation: ConsultationRequest) -> None:
    """Mark the patient's place as used, atomically: of two clicks on one link, only one goes on."""
    taken = db.session.execute(
        db.update(WaitlistEntry)
        .where(WaitlistEntry.request_id == consultation.id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .values(status=WaitlistStatus.BOOKED)
    ).rowcount
    if taken != 1:
        raise NotAllowed("You are no longer on the waiting list.")


def hold_freed_time(consultation: ConsultationRequest, start: datetime, practitioner_id: int,
                    status: AppointmentStatus) -> Appointment:
    """A waiting patient takes a freed time: first come, first served, by the same cells as everyone."""
    appointment = consultation.appointment
    if appointment is not None and appointment.holds_time:
        raise NotAllowed("You already have a consultation time.")
    if not practitioners_free_at(start, practitioner_id):
        raise TimeTaken(start)
    stop_waiting(consultation)
    if appointment is None:
        appointment = Appointment(consultation_request=consultation, status=status)
        _place(appointment, start, practitioner_id)
        db.session.add(appointment)
        db.session.flush()
        if not _try_take_cells(appointment):
            raise TimeTaken(start)
        return appointment
    _new_time(appointment, start, [practitioner_id], status)  # a cancelled or released appointment, re-used
    return appointment


def let_go(appointment: Appointment, status: AppointmentStatus, refusal: str) -> datetime:
    """Free the time at once; returns the freed start (aware UTC).

    The state change is one conditional UPDATE, so of two cancellations at once (two tabs, a double click
    racing a staff release) exactly one goes through; the other gets NotAllowed and its caller rolls back.
    """
    taken = db.session.execute(
        db.update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.status.in_(AppointmentStatus.holding()))
        .values(status=status, sequence=Appointment.sequence + 1)
    ).rowcount
    if taken != 1:
        raise NotAllowed(refusal)
    db.session.refresh(appointment)
    _free_cells(appointment)
    return appointment.starts_at.replace(tzinfo=UTC)


def within_cancel_cutoff(appointment: Appointment, now: datetime | None = None) -> bool:
    """Too close to the time to change it online: the patient is asked to call."""
    now = now or aware_now()
    cutoff = timedelta(hours=current_app.config["CANCEL_CUTOFF_HOURS"])
    return appointment.starts_at.replace(tzinfo=UTC) - now < cutoff
