"""The emails a consultation request owes: one small function each, rendering a .txt and an .html template."""

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_datetime
from flask import current_app, render_template
from flask_mail import Message

from booking.clock import clinic_time, clinic_zone, from_stored
from booking.extensions import db
from booking.formatting import slot_label, when
from booking.i18n import N_
from booking.intake.answers import answer_sections, flag_labels
from booking.intake.choices import label
from booking.models import Appointment, ConsultationRequest, Notification, Practitioner
from booking.outbox.queue import enqueue_for_request
from booking.outbox.registry import register_email
from booking.patient_mail import patient_message
from booking.states import AppointmentStatus

CLINIC_NEW_REQUEST = "clinic_new_request"
PATIENT_ACKNOWLEDGEMENT = "patient_acknowledgement"


def staff_link(consultation: ConsultationRequest) -> str:
    """The request's page in the staff inbox; it shows nothing until a staff member logs in."""
    path = current_app.url_map.bind("localhost").build(
        "staff.request_detail", {"reference": consultation.reference}
    )
    return current_app.config["PUBLIC_BASE_URL"] + path


@dataclass(frozen=True)
class ChosenTimeSummary:
    """What the clinic's email says of the time: its state, and when and with whom on the clinic's clock."""

    state: str  # "held", "confirmed", "waitlist" or "none"
    when: str = ""
    short: str = ""
    practitioner: str = ""

    @property
    def subject(self) -> str:
        """The subject's tail: "held Tue 8 Dec 1:30 pm", "confirmed ...", "waitlist", "no time chosen"."""
        if self.state in ("held", "confirmed"):
            return f"{self.state} {self.short}"
        return "waitlist" if self.state == "waitlist" else "no time chosen"


def chosen_time(consultation: ConsultationRequest, payload: dict) -> ChosenTimeSummary:
    """The time as the form left it (the payload), or for a notice queued without one, as it stands now."""
    if payload.get("time") in ("held", "confirmed"):
        start = datetime.fromisoformat(payload["starts_at"])
        practitioner = db.session.get(Practitioner, payload["practitioner_id"])
        return ChosenTimeSummary(payload["time"], slot_label(from_stored(start), clinic_zone(), "en"), _short(start),
                                 practitioner.name if practitioner else "")
    if payload.get("time") in ("waitlist", "none"):
        return ChosenTimeSummary(payload["time"])
    appointment = consultation.appointment
    if appointment is not None and appointment.holds_time:
        state = "confirmed" if appointment.status is AppointmentStatus.CONFIRMED else "held"
        return ChosenTimeSummary(state, when(appointment), _short(appointment.starts_at), appointment.practitioner.name)
    if consultation.waitlist_entry is not None:
        return ChosenTimeSummary("waitlist")
    return ChosenTimeSummary("none")


def _short(stored: datetime) -> str:
    """'Tue 8 Dec 1:30 pm' on the clinic's clock, for a subject line."""
    local = clinic_time(stored)
    hour = local.hour % 12 or 12
    return f"{format_datetime(local, 'EEE d MMM', locale='en')} {hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def notify_clinic(consultation: ConsultationRequest, payload: dict | None = None) -> Message:
    """The clinic's notice of a new request, with every answer or only a link (NOTIFY_DETAILS); both say the time."""
    time = chosen_time(consultation, payload or {})
    context = {
        "req": consultation,
        "received": clinic_time(consultation.created_at),
        "link": staff_link(consultation),
        "time": time,
    }
    if current_app.config["NOTIFY_DETAILS"] == "minimal":
        # No name, condition or description: health details stay inside the app.
        return Message(
            subject=f"New consultation request [{consultation.reference}]: {time.subject}",
            recipients=list(current_app.config["CLINIC_EMAIL"]),
            body=render_template("email/clinic_new_request_minimal.txt", **context),
            html=render_template("email/clinic_new_request_minimal.html", **context),
        )
    context.update(label=label, flags=flag_labels(consultation), sections=answer_sections(consultation))
    condition = label("condition", consultation.condition)
    if consultation.condition == "other":
        condition = "Something else"
    return Message(
        subject=f"Dry needling consultation request: {condition} [{consultation.reference}]: {time.subject}",
        recipients=list(current_app.config["CLINIC_EMAIL"]),
        reply_to=consultation.email,
        body=render_template("email/clinic_new_request.txt", **context),
        html=render_template("email/clinic_new_request.html", **context),
    )


def acknowledge_patient(consultation: ConsultationRequest) -> Message:
    """The patient's receipt: reference, next steps and phone, and no health details at all."""
    appointment = consultation.appointment
    held = appointment is not None and appointment.status is AppointmentStatus.HELD
    return patient_message(consultation, "patient_acknowledgement", N_("We received your consultation request"),
                           held_when=when(appointment, consultation.language) if held else None)


def _about_its_request(build):
    """The outbox hands over the notification; these emails are built from the request it belongs to."""

    def build_from_notification(notification: Notification) -> Message:
        return build(notification.consultation_request)

    return build_from_notification


def _clinic_notice(notification: Notification) -> Message:
    return notify_clinic(notification.consultation_request, notification.payload)


_BUILDERS = {
    CLINIC_NEW_REQUEST: _clinic_notice,
    PATIENT_ACKNOWLEDGEMENT: _about_its_request(acknowledge_patient),
}


def register_emails() -> None:
    """Called by create_app: the outbox learns to build this feature's emails."""
    for kind, builder in _BUILDERS.items():
        register_email(kind, builder)


def enqueue_request_emails(request_id: int, time: dict) -> None:
    """The clinic's notice and the patient's acknowledgement, in the request's own transaction.

    `time` is what the form did with the time (time_payload): the notice tells that, even when it is sent
    after the patient has moved or cancelled.
    """
    enqueue_for_request(request_id, CLINIC_NEW_REQUEST, PATIENT_ACKNOWLEDGEMENT, payloads={CLINIC_NEW_REQUEST: time})


def time_payload(appointment: Appointment | None, waitlist: bool) -> dict:
    """The time as the form left it: held or confirmed (when, with whom), the waitlist, or none."""
    if appointment is not None:
        state = "confirmed" if appointment.status is AppointmentStatus.CONFIRMED else "held"
        return {"time": state, "starts_at": appointment.starts_at.isoformat(),
                "practitioner_id": appointment.practitioner_id}
    return {"time": "waitlist" if waitlist else "none"}
