"""What the staff pages read of requests: one by its reference, the inbox's filtered list, the header's counts."""

from flask import current_app
from sqlalchemy import or_

from booking.clock import clinic_time
from booking.extensions import db
from booking.lifecycle.workflow import contact_due_by
from booking.models import ConsultationRequest, utcnow
from booking.phone import NotAPhoneNumber, e164, parse_phone, search_digits
from booking.states import RequestStatus


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
