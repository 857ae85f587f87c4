"""Putting the emails a request owes into the outbox, inside the request's own transaction."""

from email.utils import make_msgid, parseaddr

from flask import current_app

from booking.extensions import db
from booking.models import ConsultationRequest, Notification

CLINIC_NEW_REQUEST = "clinic_new_request"
PATIENT_ACKNOWLEDGEMENT = "patient_acknowledgement"


def _message_id() -> str:
    """One Message-ID per email, fixed now so every retry carries the same one."""
    _, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    domain = address.rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


def enqueue_request_notifications(consultation: ConsultationRequest) -> None:
    """Add the clinic's notification and the patient's acknowledgement; the caller commits."""
    for kind in (CLINIC_NEW_REQUEST, PATIENT_ACKNOWLEDGEMENT):
        db.session.add(
            Notification(consultation_request=consultation, kind=kind, message_id=_message_id())
        )
