"""What staff do beyond a request's life (booking.lifecycle): create accounts, find, erase and purge requests."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError

from booking.clock import clinic_time
from booking.extensions import db
from booking.lifecycle.workflow import contact_due_by
from booking.models import ConsultationRequest, RequestEvent, StaffUser, utcnow
from booking.outbox.admin import delete_copies
from booking.phone import NotAPhoneNumber, e164, parse_phone, search_digits
from booking.states import RequestStatus


class StaffExists(ValueError):
    """There is already an account with that email address."""


def create_staff(email: str, password: str, is_admin: bool = False) -> StaffUser:
    """The one place a staff account is made, for the CLI and the team page alike."""
    staff = StaffUser(email=email.strip().lower(), is_admin=is_admin)
    staff.set_password(password)
    db.session.add(staff)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise StaffExists(staff.email) from None
    current_app.logger.info("Staff account %s created (admin: %s)", staff.id, is_admin)
    return staff


def erase_request(consultation: ConsultationRequest, staff: StaffUser) -> None:
    """Erase one request on the patient's demand: the request, its emails and its history."""
    reference = consultation.reference
    message_ids = [notification.message_id for notification in consultation.notifications]
    db.session.delete(consultation)
    db.session.commit()
    delete_copies(message_ids)
    current_app.logger.info("Request %s erased on request by staff %s", reference, staff.id)


def purge_expired_requests(retention_days: int) -> list[str]:
    """Delete every request with no activity for retention_days, whatever its status, with its emails and history.

    Activity is the request arriving, and any status change or note after it.
    """
    cutoff = utcnow() - timedelta(days=retention_days)
    recent_activity = (
        db.select(RequestEvent.id)
        .where(RequestEvent.request_id == ConsultationRequest.id, RequestEvent.created_at >= cutoff)
        .exists()
    )
    expired = db.session.execute(
        db.select(ConsultationRequest).where(ConsultationRequest.created_at < cutoff, ~recent_activity)
    ).scalars().all()
    references = [consultation.reference for consultation in expired]
    message_ids = [n.message_id for consultation in expired for n in consultation.notifications]
    for consultation in expired:
        db.session.delete(consultation)
    db.session.commit()
    delete_copies(message_ids)
    for reference in references:
        current_app.logger.info("Request %s purged after the retention period", reference)
    return references


def find_request(reference: str) -> ConsultationRequest | None:
    return db.session.execute(
        db.select(ConsultationRequest).filter_by(reference=reference.strip().upper())
    ).scalar_one_or_none()


def inbox_query(status: str = "", condition: str = "", flagged: bool = False, search: str = ""):
    """The inbox's list, newest first, with its filters and search applied."""
    query = db.select(ConsultationRequest).order_by(ConsultationRequest.created_at.desc(),
                                                    ConsultationRequest.id.desc())
    if status == "open":
        query = query.where(ConsultationRequest.status != RequestStatus.CLOSED)
    elif status == "attention":
        query = query.where(ConsultationRequest.attention_since.is_not(None))
    elif status:
        query = query.where(ConsultationRequest.status == status)
    if condition:
        query = query.where(ConsultationRequest.condition == condition)
    if flagged:
        query = query.where(ConsultationRequest.flagged.is_(True))
    if search:
        query = query.where(_matches(search.strip()))
    return query


def _matches(search: str):
    """Name, email, reference or phone contain the search; a phone number matches however it is written."""
    pattern = f"%{_escape_like(search)}%"
    conditions = [
        ConsultationRequest.name.ilike(pattern, escape="\\"),
        ConsultationRequest.email.ilike(pattern, escape="\\"),
        ConsultationRequest.phone.ilike(pattern, escape="\\"),
        ConsultationRequest.reference.ilike(pattern, escape="\\"),
    ]
    digits = search_digits(search)
    if digits:
        conditions.append(ConsultationRequest.phone_e164.contains(digits, autoescape=True))
        try:
            number = parse_phone(search, current_app.config["CLINIC_COUNTRY"])
        except NotAPhoneNumber:
            pass
        else:
            conditions.append(ConsultationRequest.phone_e164 == e164(number))
    return or_(*conditions)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def header_counts() -> dict[str, int]:
    """New requests, those needing attention after a patient's change, and those nobody acted on in a business day."""
    now = utcnow()
    new = db.session.execute(
        db.select(ConsultationRequest.created_at, ConsultationRequest.first_action_at)
        .where(ConsultationRequest.status == RequestStatus.NEW)
    ).all()
    attention = db.session.execute(
        db.select(db.func.count()).select_from(ConsultationRequest)
        .where(ConsultationRequest.attention_since.is_not(None))
    ).scalar_one()
    return {
        "new": len(new),
        "attention": attention,
        "overdue": sum(1 for received, acted in new
                       if acted is None and contact_due_by(received) < clinic_time(now)),
    }
