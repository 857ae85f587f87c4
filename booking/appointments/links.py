"""Signed links a patient follows without logging in: manage one appointment, or take a freed time."""

from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from booking.extensions import db
from booking.i18n import localized_url_for
from booking.models import Appointment, ConsultationRequest, utcnow

MANAGE_SALT = "appointment-manage"
WAITLIST_SALT = "waitlist-offer"


def _signer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _absolute(endpoint: str, language: str, **values) -> str:
    """A link for an email, in the patient's language: PUBLIC_BASE_URL, since the outbox renders outside any request."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return localized_url_for(endpoint, _language=language, _external=True, **values)


def manage_token(appointment: Appointment) -> str:
    return _signer(MANAGE_SALT).dumps([appointment.id, appointment.manage_nonce])


def manage_url(appointment: Appointment) -> str:
    return _absolute("appointments.manage", appointment.consultation_request.language,
                     token=manage_token(appointment))


def appointment_for(token: str) -> Appointment | None:
    """The one appointment a manage link is for, while it has not yet ended; None for anything else."""
    try:
        appointment_id, nonce = _signer(MANAGE_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(appointment_id, int):
        return None
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.manage_nonce != nonce or appointment.ends_at <= utcnow():
        return None
    return appointment


def waitlist_token(consultation: ConsultationRequest, practitioner_id: int, start: datetime) -> str:
    return _signer(WAITLIST_SALT).dumps([consultation.id, practitioner_id, start.astimezone(UTC).isoformat()])


def waitlist_url(consultation: ConsultationRequest, practitioner_id: int, start: datetime) -> str:
    return _absolute("appointments.take_freed_time", consultation.language,
                     token=waitlist_token(consultation, practitioner_id, start))


def waitlist_offer_for(token: str) -> tuple[ConsultationRequest, int, datetime] | None:
    """The request, practitioner and start (aware UTC) a waitlist link offers; None if forged or malformed."""
    try:
        request_id, practitioner_id, start_text = _signer(WAITLIST_SALT).loads(token)
        start = datetime.fromisoformat(start_text).astimezone(UTC)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(request_id, int) or not isinstance(practitioner_id, int):
        return None
    consultation = db.session.get(ConsultationRequest, request_id)
    return None if consultation is None else (consultation, practitioner_id, start)
