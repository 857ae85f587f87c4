"""The links a patient follows without logging in: manage one appointment, or take a freed time.

Each link is a capability: a random value stored with what it opens, never a row id. A manage link is the
appointment's `manage_nonce` (a new one revokes every earlier link); a waitlist link is one WaitlistOffer's
token, used once, expiring when the time starts or WAITLIST_OFFER_HOURS after it was offered.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from booking.extensions import db
from booking.i18n import localized_url_for
from booking.models import Appointment, ConsultationRequest, WaitlistOffer, utcnow
from booking.models.appointments import new_nonce
from booking.outbox.queue import enqueue

# Before manage links were the nonce alone they were the signed [id, nonce]; those emailed then still open
# their appointment, found by the nonce (the id in them is ignored).
_LEGACY_MANAGE_SALT = "appointment-manage"
# The email that carries a patient's new manage link after staff (or a change of time) replaced the old one.
MANAGE_LINK_RENEWED = "appointment_new_link"
TOKEN_MAX = 64


def _absolute(endpoint: str, language: str, **values) -> str:
    """A link for an email, in the patient's language: PUBLIC_BASE_URL, since the outbox renders outside any request."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return localized_url_for(endpoint, _language=language, _external=True, **values)


def manage_token(appointment: Appointment) -> str:
    return appointment.manage_nonce


def manage_url(appointment: Appointment) -> str:
    return _absolute("appointments.manage", appointment.consultation_request.language,
                     token=manage_token(appointment))


def _legacy_nonce(token: str) -> str | None:
    """The nonce inside an old signed link, if it is one this server signed."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_LEGACY_MANAGE_SALT)
    try:
        _, nonce = serializer.loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return nonce if isinstance(nonce, str) else None


def appointment_for(token: str) -> Appointment | None:
    """The one appointment a manage link is for, while it has not yet ended; None for anything else."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    nonce = _legacy_nonce(token) if "." in token else token
    if nonce is None:
        return None
    appointment = db.session.execute(
        db.select(Appointment).where(Appointment.manage_nonce == nonce)).scalar_one_or_none()
    if appointment is None or appointment.ends_at <= utcnow():
        return None
    return appointment


def rotate_manage_link(appointment: Appointment, email_it: bool = True) -> None:
    """A new manage link: the old one stops working at once, and the patient is emailed the new one.

    Both in the caller's transaction; the caller commits once (staff's "Send a new link", a change of time).
    A change of time passes email_it=False: the email about the change carries the new link itself.
    """
    appointment.manage_nonce = new_nonce()
    if email_it:
        enqueue(MANAGE_LINK_RENEWED, consultation_request=appointment.consultation_request)


def offer_freed_time(consultation: ConsultationRequest, practitioner_id: int, start: datetime) -> WaitlistOffer:
    """A new offer of `start` to one waiting patient, added to the caller's transaction (flushed for its id)."""
    stored_start = start.astimezone(UTC).replace(tzinfo=None)
    now = utcnow()
    hours = timedelta(hours=current_app.config["WAITLIST_OFFER_HOURS"])
    offer = WaitlistOffer(consultation_request=consultation, practitioner_id=practitioner_id,
                          starts_at=stored_start, expires_at=min(stored_start, now + hours), created_at=now)
    db.session.add(offer)
    db.session.flush()
    return offer


def waitlist_url(offer: WaitlistOffer) -> str:
    return _absolute("appointments.take_freed_time", offer.consultation_request.language, token=offer.token)


def live(offer: WaitlistOffer | None) -> bool:
    return offer is not None and offer.used_at is None and offer.expires_at > utcnow()


def waitlist_offer_for(token: str) -> WaitlistOffer | None:
    """The offer a waitlist link names while it can still be taken; None if forged, used or expired."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        return None
    offer = db.session.execute(db.select(WaitlistOffer).where(WaitlistOffer.token == token)).scalar_one_or_none()
    return offer if live(offer) else None


def use_offer(offer: WaitlistOffer) -> bool:
    """Mark the offer used, atomically, in the caller's transaction: of two POSTs with one link, one goes on."""
    return db.session.execute(
        db.update(WaitlistOffer)
        .where(WaitlistOffer.id == offer.id, WaitlistOffer.used_at.is_(None), WaitlistOffer.expires_at > utcnow())
        .values(used_at=utcnow())
    ).rowcount == 1
