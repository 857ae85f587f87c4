"""A request erased on the patient's demand, or purged after RETENTION_DAYS without activity: with its emails
and its history.

The rows go in the caller's transaction. The .eml copies of its emails are files, which no rollback brings
back: the caller removes them with delete_copies() only after its commit, from the message ids returned here.
"""

from datetime import timedelta


from booking.extensions import db
from booking.logs import log_on_commit
from booking.models import ConsultationRequest, RequestEvent, StaffUser, utcnow


def erase_request(consultation: ConsultationRequest, staff: StaffUser) -> list[str]:
    """Erase one request on the patient's demand: the request, its emails and its history.

    Returns the message ids whose copies the caller deletes after its commit."""
    reference = consultation.reference
    message_ids = [notification.message_id for notification in consultation.notifications]
    db.session.delete(consultation)
    db.session.flush()
    log_on_commit(db.session, "Request %s erased on request by staff %s", reference, staff.id)
    return message_ids


def purge_expired_requests(retention_days: int) -> tuple[list[str], list[str]]:
    """Delete every request with no activity for retention_days, whatever its status, with its emails and history.

    Activity is the request arriving, and any status change or note after it. Returns the purged references,
    and the message ids whose copies the caller deletes after its commit.
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
    db.session.flush()
    for reference in references:
        log_on_commit(db.session, "Request %s purged after the retention period", reference)
    return references, message_ids
