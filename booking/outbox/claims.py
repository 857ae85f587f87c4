"""Claims: each email is taken by one sender at a time, atomically, for a lease that lapses if it dies."""

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.states import NotificationStatus


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
    """Long enough to send one message over a slow connection; a crashed sender's claim then lapses.

    OUTBOX_LEASE_SECONDS shortens it where senders may die and mail should not wait long for another.
    """
    seconds = current_app.config.get("OUTBOX_LEASE_SECONDS") or 4 * current_app.config["MAIL_TIMEOUT_SECONDS"] + 60
    return timedelta(seconds=seconds)


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


@dataclass
class ClaimedBatch:
    """Emails this sender holds under one token; the lease is renewed for all of them before it runs out."""

    token: str
    ids: list[int]
    renewed_at: float = field(default_factory=time.monotonic)

    def keep_alive(self) -> None:
        """Renew the lease once half of it has gone, so a long batch never outlives its claim."""
        if time.monotonic() - self.renewed_at > lease().total_seconds() / 2:
            renew_claims(self.token)
            self.renewed_at = time.monotonic()


def claim_batch(now: datetime, limit: int | None, honour_backoff: bool = True) -> ClaimedBatch:
    """Take up to `limit` due emails in one atomic statement, so no two senders deliver one twice.

    PostgreSQL: the rows are picked FOR UPDATE SKIP LOCKED, so concurrent senders take different rows
    without waiting on each other. SQLite has one writer at a time: the conditional UPDATE is atomic.
    """
    token = secrets.token_hex(8)
    candidates = (db.select(Notification.id).where(due(now, honour_backoff))
                  .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    if _on_postgresql():
        # Lock the rows first, then mark them, in one transaction: a LIMIT ... SKIP LOCKED inside the UPDATE's
        # IN (...) may be run again per row by the planner and take more than `limit` rows.
        wanted = db.session.execute(candidates.with_for_update(skip_locked=True)).scalars().all()
        if not wanted:
            db.session.commit()
            return ClaimedBatch(token, [])
        chosen = Notification.id.in_(wanted)
    else:
        chosen = Notification.id.in_(candidates.scalar_subquery())
    claimed = db.session.execute(
        db.update(Notification)
        .where(chosen, due(now, honour_backoff))
        .values(claim_token=token, claimed_until=now + lease())
        .returning(Notification.id),
        execution_options={"synchronize_session": False},
    ).scalars().all()
    db.session.commit()
    return ClaimedBatch(token, sorted(claimed))


def renew_claims(token: str) -> set[int]:
    """Extend the lease of every email still held under `token`; the ids still ours."""
    renewed = db.session.execute(
        db.update(Notification)
        .where(Notification.claim_token == token, Notification.status == NotificationStatus.PENDING)
        .values(claimed_until=utcnow() + lease())
        .returning(Notification.id),
        execution_options={"synchronize_session": False},
    ).scalars().all()
    db.session.commit()
    return set(renewed)


def release_claims(token: str) -> int:
    """Hand back what this sender claimed but will not send (it is stopping), so another takes it at once."""
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.claim_token == token, Notification.status == NotificationStatus.PENDING)
        .values(claim_token=None, claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount


def holds(notification: Notification, token: str) -> bool:
    """Just before sending: is this email (read afresh) still pending and ours?"""
    return notification.status == NotificationStatus.PENDING and notification.claim_token == token


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


def next_due_at() -> datetime | None:
    """When the next pending email falls due for the automatic sender: its time, its backoff, a lapsing claim."""
    latest = db.func.greatest if _on_postgresql() else db.func.max  # SQLite's max() of several values
    when = latest(Notification.send_after, Notification.next_attempt_at,
                  db.func.coalesce(Notification.claimed_until, Notification.send_after), type_=DateTime)
    return db.session.execute(
        db.select(db.func.min(when)).where(Notification.status == NotificationStatus.PENDING)
    ).scalar_one()
