"""The emails an appointment owes, registered with the outbox by kind; none carries a health detail."""

from datetime import UTC, datetime, timedelta

from flask import current_app, render_template
from flask_mail import Message

from booking.appointments.calendar import appointment_ics
from booking.appointments.links import MANAGE_LINK_RENEWED, live, manage_url, offer_freed_time, waitlist_url
from booking.appointments.queries import practitioners_free_at
from booking.clock import clinic_zone
from booking.consent.queries import is_signed as consent_signed
from booking.consent.reminders import schedule_consent_reminder, withdraw_consent_reminder
from booking.extensions import db
from booking.formatting import slot_label, when
from booking.i18n import N_, in_language
from booking.models import Appointment, ConsultationRequest, Notification, WaitlistEntry, WaitlistOffer, utcnow
from booking.outbox.admin import withdraw_pending
from booking.outbox.queue import enqueue
from booking.outbox.registry import register_email
from booking.patient_mail import patient_message
from booking.states import AppointmentStatus, RequestStatus, WaitlistStatus

APPOINTMENT_CONFIRMED = "appointment_confirmed"
APPOINTMENT_OFFERED = "appointment_offered"
APPOINTMENT_MOVED = "appointment_moved"
APPOINTMENT_CANCELLED = "appointment_cancelled"
CLINIC_APPOINTMENT_CANCELLED = "clinic_appointment_cancelled"
APPOINTMENT_REMINDER = "appointment_reminder"
WAITLIST_OFFER = "waitlist_offer"


def _appointment_message(template: str, subject: str, appointment: Appointment, **context) -> Message:
    """A patient's email about their appointment: its time, the private link, and the cancellation cut-off."""
    consultation = appointment.consultation_request
    return patient_message(consultation, template, subject, when=when(appointment, consultation.language),
                           manage_link=manage_url(appointment),
                           cutoff_hours=current_app.config["CANCEL_CUTOFF_HOURS"], **context)


def _with_calendar_file(message: Message, appointment: Appointment, method: str) -> Message:
    """consultation.ics in the patient's language: REQUEST adds or updates the event, CANCEL removes it."""
    with in_language(appointment.consultation_request.language):
        event = appointment_ics(appointment, method)
    message.attach("consultation.ics", f"text/calendar; method={method}; charset=UTF-8", event)
    return message


def confirmation(notification: Notification) -> Message | None:
    """The confirmed time with an invite (.ics REQUEST) and how to change or cancel."""
    appointment = notification.consultation_request.appointment
    if appointment is None or appointment.status is not AppointmentStatus.CONFIRMED:
        return None  # released or cancelled before it went out: the cancellation says so instead
    message = _appointment_message("appointment_confirmed", N_("Your consultation is confirmed"), appointment)
    return _with_calendar_file(message, appointment, "REQUEST")


def offered(notification: Notification) -> Message | None:
    """Staff offered another time: accept it, or choose again, from the private link."""
    appointment = notification.consultation_request.appointment
    if appointment is None or appointment.status is not AppointmentStatus.OFFERED:
        return None
    return _appointment_message("appointment_offered", N_("We can offer you another time"), appointment)


def moved(notification: Notification) -> Message | None:
    """The patient's time moved: the old and the new time; a confirmed one with its updated invite (same UID)."""
    appointment = notification.consultation_request.appointment
    if appointment is None or not appointment.holds_time:
        return None  # cancelled since: the cancellation says so instead
    consultation = appointment.consultation_request
    was = datetime.fromisoformat(notification.payload["was"]).replace(tzinfo=UTC)
    message = patient_message(consultation, "appointment_moved", N_("Your consultation has moved"),
                              when=when(appointment, consultation.language),
                              was=slot_label(was, clinic_zone(), consultation.language),
                              confirmed=appointment.status is AppointmentStatus.CONFIRMED,
                              manage_link=manage_url(appointment),
                              cutoff_hours=current_app.config["CANCEL_CUTOFF_HOURS"])
    if appointment.status is AppointmentStatus.CONFIRMED:
        return _with_calendar_file(message, appointment, "REQUEST")
    return message


def cancellation(notification: Notification) -> Message | None:
    """The cancellation, with a .ics CANCEL so the patient's calendar removes the event."""
    appointment = notification.consultation_request.appointment
    if appointment is None:
        return None
    message = _appointment_message("appointment_cancelled", N_("Your consultation is cancelled"), appointment)
    return _with_calendar_file(message, appointment, "CANCEL")


def clinic_cancellation(notification: Notification) -> Message | None:
    """The front desk hears of a cancellation: reference and time only (rows queued before the lifecycle's emails)."""
    appointment = notification.consultation_request.appointment
    if appointment is None:
        return None
    context = {"reference": notification.consultation_request.reference, "when": when(appointment),
               "practitioner": appointment.practitioner.name}
    return Message(
        subject=f"Consultation cancelled [{context['reference']}]",
        recipients=list(current_app.config["CLINIC_EMAIL"]),
        body=render_template("email/clinic_appointment_cancelled.txt", **context),
        html=render_template("email/clinic_appointment_cancelled.html", **context),
    )


def reminder(notification: Notification) -> Message | None:
    """The day-before reminder; nothing if the appointment was cancelled or moved since it was scheduled."""
    appointment = notification.consultation_request.appointment
    if (appointment is None or appointment.status is not AppointmentStatus.CONFIRMED
            or notification.payload.get("starts_at") != appointment.starts_at.isoformat()
            or appointment.starts_at <= utcnow()):
        return None
    return _appointment_message("appointment_reminder", N_("Reminder: your consultation"), appointment,
                                consent_signed=consent_signed(appointment))


def new_manage_link(notification: Notification) -> Message | None:
    """The patient's new private link, after the old one was replaced; nothing if the time is gone."""
    appointment = notification.consultation_request.appointment
    if appointment is None or not appointment.holds_time:
        return None
    return _appointment_message("appointment_new_link", N_("Your new link to your consultation"), appointment)


def waitlist_offer(notification: Notification) -> Message | None:
    """A freed time for a waiting patient: one POST from the link takes it, if no one has yet."""
    consultation = notification.consultation_request
    start = datetime.fromisoformat(notification.payload["starts_at"]).replace(tzinfo=UTC)
    entry = consultation.waitlist_entry
    if start <= utcnow().replace(tzinfo=UTC) or entry is None or entry.status is not WaitlistStatus.WAITING:
        return None
    if consultation.status is RequestStatus.CLOSED or (consultation.appointment is not None
                                                       and consultation.appointment.holds_time):
        return None  # closed, or booked another way, since the offer was queued
    practitioner_id = notification.payload["practitioner_id"]
    if not practitioners_free_at(start, practitioner_id):
        return None  # someone took it before this email went out: do not offer what is gone
    offer = db.session.get(WaitlistOffer, notification.payload.get("offer_id") or 0)
    if offer is None:  # queued before offers were stored: stored now, committed with the sending
        offer = offer_freed_time(consultation, practitioner_id, start)
    if not live(offer):
        return None
    return patient_message(consultation, "waitlist_offer", N_("A consultation time has come free"),
                           when=slot_label(start, clinic_zone(), consultation.language),
                           link=waitlist_url(offer))


_BUILDERS = {
    APPOINTMENT_CONFIRMED: confirmation,
    APPOINTMENT_OFFERED: offered,
    APPOINTMENT_MOVED: moved,
    APPOINTMENT_CANCELLED: cancellation,
    CLINIC_APPOINTMENT_CANCELLED: clinic_cancellation,
    APPOINTMENT_REMINDER: reminder,
    WAITLIST_OFFER: waitlist_offer,
    MANAGE_LINK_RENEWED: new_manage_link,
}


def register_emails() -> None:
    for kind, builder in _BUILDERS.items():
        register_email(kind, builder)


def enqueue_confirmation(appointment: Appointment) -> None:
    """The confirmation now, and its reminder REMINDER_HOURS_BEFORE the time (replacing any earlier one)."""
    enqueue(APPOINTMENT_CONFIRMED, consultation_request=appointment.consultation_request)
    withdraw_reminder(appointment)
    _schedule_reminder(appointment)


def _schedule_reminder(appointment: Appointment) -> None:
    consultation = appointment.consultation_request
    remind_at = appointment.starts_at - timedelta(hours=current_app.config["REMINDER_HOURS_BEFORE"])
    enqueue(APPOINTMENT_REMINDER, consultation_request=consultation, send_after=max(remind_at, utcnow()),
            payload={"starts_at": appointment.starts_at.isoformat()})
    schedule_consent_reminder(appointment)


def withdraw_reminder(appointment: Appointment) -> None:
    if appointment.request_id is not None:
        withdraw_pending(APPOINTMENT_REMINDER, appointment.request_id)
    withdraw_consent_reminder(appointment)


def after_time_change(appointment: Appointment) -> None:
    """A new time: a confirmed one gets a fresh invite (same UID, higher SEQUENCE); an offered one, its offer."""
    if appointment.status is AppointmentStatus.CONFIRMED:
        enqueue_confirmation(appointment)
    elif appointment.status is AppointmentStatus.OFFERED:
        withdraw_reminder(appointment)
        enqueue(APPOINTMENT_OFFERED, consultation_request=appointment.consultation_request)


def enqueue_moved(appointment: Appointment, was: datetime) -> None:
    """The patient hears the old and the new time; a confirmed time's reminder follows it."""
    enqueue(APPOINTMENT_MOVED, consultation_request=appointment.consultation_request,
            payload={"was": was.isoformat()})
    withdraw_reminder(appointment)
    if appointment.status is AppointmentStatus.CONFIRMED:
        _schedule_reminder(appointment)


def enqueue_patient_cancellation(appointment: Appointment) -> None:
    """The patient's cancellation, with the .ics that removes the event from their calendar."""
    enqueue(APPOINTMENT_CANCELLED, consultation_request=appointment.consultation_request)


def offer_to_waitlist(practitioner_id: int, freed: datetime, freed_by: ConsultationRequest) -> list[str]:
    """Every waiting patient whose request is still open and holds no time hears of a freed, future time.

    Oldest first; the first to take it has it. Returns the references offered it, for the history and the clinic.
    """
    if freed <= utcnow().replace(tzinfo=UTC):
        return []
    holding = (db.select(Appointment.id)
               .where(Appointment.request_id == WaitlistEntry.request_id,
                      Appointment.status.in_(AppointmentStatus.holding())).exists())
    waiting = db.session.execute(
        db.select(WaitlistEntry).join(WaitlistEntry.consultation_request)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.request_id != freed_by.id,
               ConsultationRequest.status != RequestStatus.CLOSED, ~holding)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).scalars().all()
    for entry in waiting:
        offer = offer_freed_time(entry.consultation_request, practitioner_id, freed)
        enqueue(WAITLIST_OFFER, consultation_request=entry.consultation_request,
                payload={"offer_id": offer.id, "practitioner_id": practitioner_id,
                         "starts_at": freed.astimezone(UTC).replace(tzinfo=None).isoformat()})
    return [entry.consultation_request.reference for entry in waiting]
