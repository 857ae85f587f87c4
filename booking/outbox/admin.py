"""What the rest of the app may ask of the outbox: what is undelivered, retry one now, forget copies."""

from collections.abc import Iterable
from datetime import datetime

from flask import current_app

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.states import NotificationStatus
from booking.outbox.transport import delete_file_copies
from booking.outbox.worker import wake_outbox_worker


WAITING = (NotificationStatus.PENDING, NotificationStatus.REFUSED)


def _scheduled():
    """Pending and not yet at its time (a reminder): nothing has gone wrong with it."""
    return (Notification.status == NotificationStatus.PENDING) & (Notification.send_after > utcnow())


def undelivered() -> list[Notification]:
    """Emails due and not yet sent (refused, failing and waiting for a retry first); scheduled ones apart."""
    return db.session.execute(
        db.select(Notification)
        .where(Notification.status.in_(WAITING), ~_scheduled())
        .order_by((Notification.status == NotificationStatus.REFUSED).desc(), Notification.attempts.desc(),
                  Notification.created_at)
    ).scalars().all()


def scheduled() -> list[Notification]:
    """Emails waiting for their time (reminders), soonest first, for the staff outbox page."""
    return db.session.execute(
        db.select(Notification).where(_scheduled()).order_by(Notification.send_after, Notification.id)
    ).scalars().all()


def count_undelivered() -> int:
    return db.session.execute(
        db.select(db.func.count()).select_from(Notification)
        .where(Notification.status.in_(WAITING))
    ).scalar_one()


def count_refused() -> int:
    return db.session.execute(
        db.select(db.func.count()).select_from(Notification)
        .where(Notification.status == NotificationStatus.REFUSED)
    ).scalar_one()


def oldest_due_since() -> datetime | None:
    """Since when the longest-waiting pending email has been due (a reminder counts from its time), or None."""
    return db.session.execute(
        db.select(db.func.min(Notification.send_after))
        .where(Notification.status == NotificationStatus.PENDING, Notification.send_after <= utcnow())
    ).scalar_one()


def next_automatic_try() -> datetime | None:
    """When the automatic sender will next try a waiting email (refused ones wait for staff; reminders their time)."""
    rows = db.session.execute(
        db.select(Notification.next_attempt_at, Notification.send_after)
        .where(Notification.status == NotificationStatus.PENDING)
    ).all()
    return min((max(retry, scheduled) for retry, scheduled in rows), default=None)


def retry_now(notification_id: int) -> bool:
    """Make one undelivered email (a refused one too) due now and wake the sender; False if it was sent."""
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.id == notification_id, Notification.status.in_(WAITING))
        .values(status=NotificationStatus.PENDING, next_attempt_at=utcnow())
    )
    db.session.commit()
    if result.rowcount == 1:
        wake_outbox_worker(current_app)
        return True
    if db.session.get(Notification, notification_id) is None:
        raise LookupError(notification_id)
    return False


def withdraw_pending(kind: str, request_id: int) -> int:
    """A feature no longer needs an email it queued (a cancelled appointment's reminder): never send it."""
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.kind == kind, Notification.request_id == request_id,
               Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.WITHDRAWN)
    )
    return result.rowcount


def delete_copies(message_ids: Iterable[str]) -> int:
    """Erasure and purge: remove the .eml copies written for these emails (file mode)."""
    return delete_file_copies(message_ids)
