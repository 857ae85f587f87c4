"""Claims: each email is taken by one sender at a time, atomically, for a lease that lapses if it dies."""

import secrets
from datetime import datetime, timedelta

from flask import current_app

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.outbox.states import NotificationStatus


def due(now: datetime, honour_backoff: bool = True):
    """Pending and unclaimed (or the claim lapsed); with honour_backoff, also past its next try."""
    condition = (
        (Notification.status == NotificationStatus.PENDING)
        & (Notification.send_after <= now)  # a scheduled email (a reminder) waits for its time, even by hand
        & (Notification.claimed_until.is_(None) | (Notification.claimed_until < now))
    )
    if honour_backoff:
        condition &= Notification.next_attempt_at <= now
    return condition


def lease() -> timedelta:
    """Long enough to send one message over a slow connection; a crashed sender's claim then lapses."""
    return timedelta(seconds=4 * current_app.config["MAIL_TIMEOUT_SECONDS"] + 60)


def claim(notification_id: int, now: datetime, honour_backoff: bool = True) -> str | None:
    """Take one notification for this process, atomically, so no two senders deliver it twice."""
    token = secrets.token_hex(8)
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.id == notification_id, due(now, honour_backoff))
        .values(claim_token=token, claimed_until=now + lease())
    )
    db.session.commit()
    return token if result.rowcount == 1 else None


def renew_claim(notification_id: int, token: str) -> bool:
    """Just before sending: is the claim still ours? Extend it, so a long batch never outlives it."""
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.id == notification_id, Notification.claim_token == token,
               Notification.status == NotificationStatus.PENDING)
        .values(claimed_until=utcnow() + lease())
    )
    db.session.commit()
    return result.rowcount == 1


def release(notification: Notification) -> None:
    """The attempt is over, whatever its outcome; the caller records it and commits."""
    notification.claimed_until = None
    notification.claim_token = None


def count_in_flight(now: datetime, honour_backoff: bool = True) -> int:
    """Due notifications another process has claimed and is sending (or died sending) right now."""
    query = (
        db.select(db.func.count())
        .select_from(Notification)
        .where(
            Notification.status == NotificationStatus.PENDING,
            Notification.claimed_until >= now,
            Notification.claim_token.is_not(None),
        )
    )
    if honour_backoff:
        query = query.where(Notification.next_attempt_at <= now)
    return db.session.execute(query).scalar_one()
