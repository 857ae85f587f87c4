"""What the rest of the app may ask of the outbox: what is undelivered, retry one now, forget copies."""

from collections.abc import Iterable
from datetime import datetime

from flask import current_app

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.outbox.states import NotificationStatus
from booking.outbox.transport import delete_file_copies
from booking.outbox.worker import wake_outbox_worker


def undelivered() -> list[Notification]:
    """Emails not yet sent, refused and failing ones first, for the staff outbox page."""
    return db.session.execute(
        db.select(Notification)
        .where(Notification.status != NotificationStatus.SENT)
        .order_by((Notification.status == NotificationStatus.REFUSED).desc(), Notification.attempts.desc(),
                  Notification.created_at)
    ).scalars().all()


def count_undelivered() -> int:
    return db.session.execute(
        db.select(db.func.count()).select_from(Notification)
        .where(Notification.status != NotificationStatus.SENT)
    ).scalar_one()


def count_refused() -> int:
    return db.session.execute(
        db.select(db.func.count()).select_from(Notification)
        .where(Notification.status == NotificationStatus.REFUSED)
    ).scalar_one()


def next_automatic_try() -> datetime | None:
    """When the automatic sender will next try a waiting email (refused ones wait for staff)."""
    return db.session.execute(
        db.select(db.func.min(Notification.next_attempt_at))
        .where(Notification.status == NotificationStatus.PENDING)
    ).scalar_one()


def retry_now(notification_id: int) -> bool:
    """Make one undelivered email (a refused one too) due now and wake the sender; False if it was sent."""
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.id == notification_id, Notification.status != NotificationStatus.SENT)
        .values(status=NotificationStatus.PENDING, next_attempt_at=utcnow())
    )
    db.session.commit()
    if result.rowcount == 1:
        wake_outbox_worker(current_app)
        return True
    if db.session.get(Notification, notification_id) is None:
        raise LookupError(notification_id)
    return False


def delete_copies(message_ids: Iterable[str]) -> int:
    """Erasure and purge: remove the .eml copies written for these emails (file mode)."""
    return delete_file_copies(message_ids)
