"""What staff do: create accounts; change status, add notes, erase and purge requests. Each change is logged once."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import ConsultationRequest, RequestEvent, StaffUser, utcnow
from booking.outbox.admin import delete_copies
from booking.phone import NotAPhoneNumber, e164, parse_phone, search_digits
from booking.states import RequestStatus
from booking.staff.workflow import check_move, is_overdue


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


def change_status(consultation: ConsultationRequest, to_status: str, staff: StaffUser,
                  closed_reason: str | None = None, note: str = "") -> RequestEvent:
    """Move a request along the workflow and record who did it, when, and why."""
    to_status, reason = check_move(consultation.status, to_status, closed_reason)
    event = RequestEvent(
        consultation_request=consultation,
        staff=staff,
        from_status=consultation.status,
        to_status=to_status,
        closed_reason=reason,
        note=note,
    )
    consultation.status = to_status
    consultation.closed_reason = reason
    consultation.closed_at = utcnow() if to_status is RequestStatus.CLOSED else None
    db.session.add(event)
    db.session.commit()
    current_app.logger.info("Request %s marked %s by staff %s", consultation.reference, to_status, staff.id)
    return event


def add_note(consultation: ConsultationRequest, staff: StaffUser, note: str) -> RequestEvent:
    event = RequestEvent(consultation_request=consultation, staff=staff, note=note)
    db.session.add(event)
    db.session.commit()
    current_app.logger.info("Note added to request %s by staff %s", consultation.reference, staff.id)
    return event


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
    """New requests, and those still new one business day after they arrived."""
    now = utcnow()
    new_received = db.session.execute(
        db.select(ConsultationRequest.created_at).where(ConsultationRequest.status == RequestStatus.NEW)
    ).scalars().all()
    return {
        "new": len(new_received),
        "overdue": sum(1 for received in new_received if is_overdue(RequestStatus.NEW, received, now)),
    }



def note_appointment_change(consultation: ConsultationRequest, staff: StaffUser, note: str) -> RequestEvent:
    """A line in the request's history for what staff did to its time; the appointment service logs the change."""
    event = RequestEvent(consultation_request=consultation, staff=staff, note=note)
    db.session.add(event)
    db.session.commit()
    return event
