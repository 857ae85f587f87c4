"""One life for a request and its time: every change, by anyone, goes through this gate.

Each operation checks the move, makes it, writes the request's history line (who: a staff member, the
patient or the system; what; the old and new time where a time moved) and queues the emails it owes, all
in the caller's transaction. Nothing here commits: the view or command commits once, so a crash leaves
either all of a change or none of it. The request's status follows its time: a confirmed time makes it
scheduled; a scheduled request whose time is let go is back to contacted. What a patient does to their
time puts the request in front of the front desk (attention_since) until a staff member opens it.
"""

from datetime import UTC, datetime


from booking.appointments import emails as appointment_emails
from booking.appointments import operations as appointment_operations
from booking.appointments.operations.attendance import attendance_after_patient_cancel
from booking.appointments.links import rotate_manage_link
from booking.appointments.operations import NotAllowed, TimeTaken
from booking.extensions import db
from booking.formatting import when
from booking.lifecycle import emails as lifecycle_emails
from booking.lifecycle.history import PATIENT, SYSTEM, By, by_staff, write_line
from booking.lifecycle.workflow import check_move
from booking.logs import log_on_commit
from booking.models import Appointment, ConsultationRequest, RequestEvent, utcnow
from booking.states import Actor, AppointmentStatus, RequestStatus, WaitlistStatus

__all__ = ["By", "NotAllowed", "PATIENT", "SYSTEM", "TimeTaken", "accept_offer", "add_note", "by_staff",
           "cancel_time", "change_status", "confirm_time", "mark_seen", "move_time", "offer_time",
           "release_time", "take_freed_time"]


def _status_after_time_change(consultation: ConsultationRequest) -> RequestStatus | None:
    """Where the time leaves the request: scheduled once it is confirmed, contacted once a scheduled time is gone."""
    appointment = consultation.appointment
    if appointment is not None and appointment.status is AppointmentStatus.CONFIRMED:
        return RequestStatus.SCHEDULED
    if consultation.status is RequestStatus.SCHEDULED:
        return RequestStatus.CONTACTED
    return None


def _needs_attention(consultation: ConsultationRequest) -> None:
    consultation.attention_since = utcnow()


def _holding(consultation: ConsultationRequest) -> Appointment:
    appointment = consultation.appointment
    if appointment is None or not appointment.holds_time:
        raise NotAllowed("This request holds no consultation time.")
    return appointment


def _with(appointment: Appointment) -> str:
    return f"{when(appointment)} with {appointment.practitioner.name}"


def _log(consultation: ConsultationRequest, what: str, by: By) -> None:
    log_on_commit(db.session, "Request %s: %s by %s", consultation.reference, what, by.log_name)


# Staff at the front desk.

def confirm_time(consultation: ConsultationRequest, by: By) -> Appointment:
    """A held time becomes the patient's confirmed appointment; they get the confirmation and its invite."""
    appointment = _holding(consultation)
    appointment_operations.confirm(appointment)
    appointment_emails.enqueue_confirmation(appointment)
    write_line(consultation, by, f"Confirmed the time {_with(appointment)}.",
             to_status=_status_after_time_change(consultation), time_to=appointment.starts_at)
    _log(consultation, "time confirmed", by)
    return appointment


def offer_time(consultation: ConsultationRequest, start: datetime, practitioner_id: int | None, by: By) -> Appointment:
    """Staff hold another time for the patient, who may accept it or choose again; the old time is free."""
    appointment = _holding(consultation)
    was, was_with, old_practitioner = appointment.starts_at, _with(appointment), appointment.practitioner_id
    appointment_operations.offer(appointment, start, practitioner_id)
    rotate_manage_link(appointment, email_it=False)  # the offer email carries the new link
    appointment_emails.after_time_change(appointment)
    offered_to = appointment_emails.offer_to_waitlist(old_practitioner, was.replace(tzinfo=UTC), consultation)
    to_status = _status_after_time_change(consultation)
    if consultation.status is RequestStatus.NEW:
        to_status = RequestStatus.CONTACTED  # the offer is the front desk answering
    write_line(consultation, by, f"Offered another time: {_with(appointment)} (was {was_with})."
             + _waitlist_note(offered_to), to_status=to_status, time_from=was, time_to=appointment.starts_at)
    _log(consultation, "another time offered", by)
    return appointment


def release_time(consultation: ConsultationRequest, by: By) -> datetime:
    """Staff give the time back: it is free at once, and a patient who had been told of it hears it is gone."""
    appointment = _holding(consultation)
    told = appointment.status in (AppointmentStatus.CONFIRMED, AppointmentStatus.OFFERED)
    was_with = _with(appointment)
    freed = appointment_operations.let_go(appointment, AppointmentStatus.RELEASED,
                                          "This appointment does not hold a time.")
    appointment_emails.withdraw_reminder(appointment)
    if told:
        appointment_emails.enqueue_patient_cancellation(appointment)
    offered_to = appointment_emails.offer_to_waitlist(appointment.practitioner_id, freed, consultation)
    write_line(consultation, by, f"Released the time {was_with}." + _waitlist_note(offered_to),
             to_status=_status_after_time_change(consultation), time_from=appointment.starts_at)
    _log(consultation, "time released", by)
    return freed


def send_new_link(consultation: ConsultationRequest, by: By) -> None:
    """A link forwarded or lost: the old one stops at once, and the patient is emailed the new one."""
    rotate_manage_link(_holding(consultation))
    write_line(consultation, by, "Sent the patient a new link to their appointment; the old one no longer works.")
    _log(consultation, "manage link renewed", by)


def change_status(consultation: ConsultationRequest, to_status: str, by: By, closed_reason: str | None = None,
                  note: str = "") -> RequestEvent:
    """A status chosen by hand along the workflow; closing lets go of the time and the waitlist place too."""
    target, reason = check_move(consultation.status, to_status, closed_reason)
    if target is RequestStatus.CLOSED:
        _let_go_on_close(consultation, by)
    event = write_line(consultation, by, note, to_status=target, closed_reason=reason)
    _log(consultation, f"marked {target}", by)
    return event


def _let_go_on_close(consultation: ConsultationRequest, by: By) -> None:
    """A closed request holds nothing: its time is freed (the patient told if they had been) and it stops waiting."""
    appointment = consultation.appointment
    if appointment is not None and appointment.holds_time:
        release_time(consultation, by)
    entry = consultation.waitlist_entry
    if entry is not None and entry.status is WaitlistStatus.WAITING:
        entry.status = WaitlistStatus.LEFT


def add_note(consultation: ConsultationRequest, by: By, note: str) -> RequestEvent:
    event = write_line(consultation, by, note)
    _log(consultation, "note added", by)
    return event


def mark_seen(consultation: ConsultationRequest) -> bool:
    """A staff member opened the request: what the patient did has been seen. True if that changed anything."""
    if consultation.attention_since is None:
        return False
    consultation.attention_since = None
    return True


# The patient, from their private links.

def accept_offer(consultation: ConsultationRequest, by: By = PATIENT) -> Appointment:
    """The patient takes the time staff offered: confirmed, and the clinic hears of it."""
    appointment = consultation.appointment
    if appointment is None:
        raise NotAllowed("There is no offered time to accept.")
    appointment_operations.accept_offer(appointment)
    appointment_emails.enqueue_confirmation(appointment)
    lifecycle_emails.tell_clinic(consultation, lifecycle_emails.ACCEPTED, to=appointment.starts_at,
                                 practitioner=appointment.practitioner.name)
    write_line(consultation, by, f"Accepted the offered time {_with(appointment)}.",
             to_status=_status_after_time_change(consultation), time_to=appointment.starts_at)
    _log(consultation, "offered time accepted", by)
    return appointment


def move_time(consultation: ConsultationRequest, start: datetime, by: By = PATIENT) -> Appointment:
    """The patient changes their time: the new one under the same guarantee, or nothing changes (TimeTaken)."""
    appointment = _holding(consultation)
    was, was_with, old_practitioner = appointment.starts_at, _with(appointment), appointment.practitioner_id
    appointment_operations.move(appointment, start)
    rotate_manage_link(appointment, email_it=False)  # a forwarded old link stops working; the email carries the new
    appointment_emails.enqueue_moved(appointment, was)
    offered_to = appointment_emails.offer_to_waitlist(old_practitioner, was.replace(tzinfo=UTC), consultation)
    lifecycle_emails.tell_clinic(consultation, lifecycle_emails.MOVED, was=was, to=appointment.starts_at,
                                 practitioner=appointment.practitioner.name, offered_to=offered_to)
    _needs_attention(consultation)
    write_line(consultation, by, f"Moved the time to {_with(appointment)} (was {was_with})."
             + _waitlist_note(offered_to), to_status=_status_after_time_change(consultation),
             time_from=was, time_to=appointment.starts_at)
    _log(consultation, "time moved", by)
    return appointment


def cancel_time(consultation: ConsultationRequest, reason: str = "", by: By = PATIENT) -> datetime:
    """The patient cancels: the time is free at once, they get the cancellation, the clinic hears who was offered it."""
    appointment = _holding(consultation)
    was_with = _with(appointment)
    freed = appointment_operations.let_go(appointment, AppointmentStatus.CANCELLED,
                                          "This appointment was already cancelled.")
    if by.actor is Actor.PATIENT:
        attendance_after_patient_cancel(appointment)  # inside CANCEL_CUTOFF_HOURS it counts as cancelled late
    appointment_emails.withdraw_reminder(appointment)
    appointment_emails.enqueue_patient_cancellation(appointment)
    offered_to = appointment_emails.offer_to_waitlist(appointment.practitioner_id, freed, consultation)
    lifecycle_emails.tell_clinic(consultation, lifecycle_emails.CANCELLED, was=appointment.starts_at,
                                 practitioner=appointment.practitioner.name, offered_to=offered_to, reason=reason)
    _needs_attention(consultation)
    note = f"Cancelled the time {was_with}." + (f" Reason: {reason}" if reason else "") + _waitlist_note(offered_to)
    write_line(consultation, by, note, to_status=_status_after_time_change(consultation),
             time_from=appointment.starts_at)
    _log(consultation, "time cancelled", by)
    return freed


def take_freed_time(consultation: ConsultationRequest, start: datetime, practitioner_id: int,
                    by: By = PATIENT) -> Appointment:
    """A waiting patient takes a freed time through the same gate as the form.

    Only an open request may (not closed, not already holding a time); the time is confirmed at once only
    when BOOKING_AUTO_CONFIRM is on and the request raised no screening flag, otherwise held for staff.
    """
    if consultation.status is RequestStatus.CLOSED:
        raise NotAllowed("This request is closed.")
    confirmed = appointment_operations.confirms_at_once(bool(consultation.raised_flags))
    status = AppointmentStatus.CONFIRMED if confirmed else AppointmentStatus.HELD
    appointment = appointment_operations.hold_freed_time(consultation, start, practitioner_id, status)
    if confirmed:
        appointment_emails.enqueue_confirmation(appointment)
    else:
        _needs_attention(consultation)
    lifecycle_emails.tell_clinic(consultation, lifecycle_emails.FROM_WAITLIST, to=appointment.starts_at,
                                 practitioner=appointment.practitioner.name, state=str(appointment.status))
    held = "confirmed at once" if confirmed else "held for the front desk to confirm"
    write_line(consultation, by, f"Took a freed time from the waitlist: {_with(appointment)}, {held}.",
             to_status=_status_after_time_change(consultation), time_to=appointment.starts_at)
    _log(consultation, "freed time taken from the waitlist", by)
    return appointment


def _waitlist_note(offered_to: list[str]) -> str:
    return f" Offered to the waitlist: {', '.join(offered_to)}." if offered_to else ""


def booked_at_intake(request_id: int, appointment: Appointment) -> None:
    """The form took a time that BOOKING_AUTO_CONFIRM confirmed at once: the request is scheduled, by the system."""
    db.session.execute(db.update(ConsultationRequest).where(ConsultationRequest.id == request_id)
                       .values(status=RequestStatus.SCHEDULED))
    db.session.execute(db.insert(RequestEvent.__table__), {
        "request_id": request_id, "actor": Actor.SYSTEM, "created_at": utcnow(),
        "from_status": RequestStatus.NEW, "to_status": RequestStatus.SCHEDULED,
        "note": "Confirmed the time chosen on the form at once (automatic confirmation is on).",
        "time_to": appointment.starts_at,
    })

