"""The consent's emails, registered with the outbox: the patient's signed copy (PDF), the reminder to sign,
and the clinic's notices. The clinic's carry answers only in NOTIFY_DETAILS=full mode, and then only those
given on the consent page; the patient's carry none in the body (the PDF holds what they gave there)."""

from datetime import datetime

from flask import current_app, render_template
from flask_mail import Message

from booking.appointments.links import manage_url
from booking.clock import clinic_time
from booking.consent.queries import is_signed
from booking.consent.reminders import CONSENT_REMINDER
from booking.extensions import db
from booking.formatting import when
from booking.i18n import N_, in_language
from booking.intake.choices import label
from booking.models import Appointment, ConsentRecord, Notification, utcnow
from booking.outbox.queue import enqueue
from booking.outbox.registry import register_email
from booking.patient_mail import patient_message
from booking.states import AppointmentStatus

CONSENT_SIGNED = "consent_signed"
CLINIC_CONSENT_SIGNED = "clinic_consent_signed"
CLINIC_CONSENT_WITHDRAWN = "clinic_consent_withdrawn"
PDF_NAME = "dry-needling-consent.pdf"


def consent_url(appointment: Appointment) -> str:
    """The consent page beside the appointment's own page, in the patient's language."""
    return manage_url(appointment) + "/consent"


def _record(notification: Notification) -> ConsentRecord | None:
    return db.session.get(ConsentRecord, notification.payload.get("consent_id"))


def staff_link(record: ConsentRecord) -> str:
    path = current_app.url_map.bind("localhost").build(
        "staff.request_detail", {"reference": record.consultation_request.reference})
    return current_app.config["PUBLIC_BASE_URL"] + path


def signed_copy(notification: Notification) -> Message | None:
    """The patient's copy of what they signed, as a PDF, in their language."""
    record = _record(notification)
    if record is None:
        return None
    consultation = record.consultation_request
    message = patient_message(consultation, "consent_signed", N_("Your signed dry-needling consent"),
                              when=when(record.appointment, consultation.language),
                              flagged=record.flagged, consent_link=consent_url(record.appointment))
    from booking.consent.pdf import signed_pdf  # see booking/consent/pdf.py: imported where a PDF is drawn

    with in_language(record.language):
        message.attach(PDF_NAME, "application/pdf", signed_pdf(record))
    return message


def consent_reminder(notification: Notification) -> Message | None:
    """Asks once to sign; nothing if signed, cancelled, moved since it was scheduled, or past."""
    appointment = notification.consultation_request.appointment
    if (appointment is None or appointment.status is not AppointmentStatus.CONFIRMED
            or notification.payload.get("starts_at") != appointment.starts_at.isoformat()
            or appointment.starts_at <= utcnow() or is_signed(appointment)):
        return None
    consultation = appointment.consultation_request
    return patient_message(consultation, "consent_reminder", N_("Please sign your dry-needling consent"),
                           when=when(appointment, consultation.language), consent_link=consent_url(appointment))


def _clinic_message(record: ConsentRecord, subject: str, template: str, **context) -> Message:
    context = {"reference": record.consultation_request.reference, "record": record, "link": staff_link(record),
               "when": when(record.appointment), "signed_at": datetime_words(record.at), **context}
    return Message(subject=f"{subject} [{context['reference']}]", recipients=list(current_app.config["CLINIC_EMAIL"]),
                   body=render_template(f"email/{template}.txt", **context),
                   html=render_template(f"email/{template}.html", **context))


def datetime_words(stored: datetime) -> str:
    """A stored time as staff read it, on the clinic's clock."""
    return clinic_time(stored).strftime("%a %d %b %Y, %H:%M %Z")


def clinic_signed(notification: Notification) -> Message | None:
    """minimal: "signed" and "flags: yes/no" and a link; full: also the answers given on the consent page."""
    record = _record(notification)
    if record is None:
        return None
    if current_app.config["NOTIFY_DETAILS"] == "minimal":
        return _clinic_message(record, "Consent signed", "clinic_consent_signed_minimal")
    flags = [label("screening", key) for key in record.answers.get("screening", [])]
    return _clinic_message(record, "Consent signed" + (" with flags" if record.flagged else ""),
                           "clinic_consent_signed", flags=flags)


def clinic_withdrawn(notification: Notification) -> Message | None:
    record = _record(notification)
    if record is None:
        return None
    return _clinic_message(record, "Consent withdrawn", "clinic_consent_withdrawn")


_BUILDERS = {
    CONSENT_SIGNED: signed_copy,
    CLINIC_CONSENT_SIGNED: clinic_signed,
    CLINIC_CONSENT_WITHDRAWN: clinic_withdrawn,
    CONSENT_REMINDER: consent_reminder,
}


def register_emails() -> None:
    for kind, builder in _BUILDERS.items():
        register_email(kind, builder)


def enqueue_signed(record: ConsentRecord) -> None:
    """The patient's copy and the clinic's notice, in the signature's transaction."""
    payload = {"consent_id": record.id}
    enqueue(CONSENT_SIGNED, consultation_request=record.consultation_request, payload=payload)
    enqueue(CLINIC_CONSENT_SIGNED, consultation_request=record.consultation_request, payload=payload)


def enqueue_withdrawn(record: ConsentRecord) -> None:
    enqueue(CLINIC_CONSENT_WITHDRAWN, consultation_request=record.consultation_request,
            payload={"consent_id": record.id})
