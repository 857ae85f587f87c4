"""One delivery pass: claim what is due, send it over one connection, record each outcome."""

import smtplib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import joinedload

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.outbox.backoff import address_refused, backoff
from booking.outbox.claims import ClaimedBatch, claim_batch, count_in_flight, holds, release_claims
from booking.outbox.registry import build_message
from booking.outbox.states import NotificationStatus
from booking.outbox.transport import open_transport


@dataclass
class DeliveryReport:
    """What one pass over the outbox did, for the CLI to tell and the exit code to reflect."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # will be retried
    refused: list[int] = field(default_factory=list)  # the address was refused: staff must look
    busy: int = 0  # due, but claimed by another process that is sending it now
    withdrawn: list[int] = field(default_factory=list)  # its feature said it is no longer needed

    @property
    def undelivered(self) -> int:
        return len(self.failed) + len(self.refused) + self.busy


def _outcome(notification: Notification, error: BaseException | None) -> dict:
    """The columns that record one attempt, whatever its outcome; the claim is released with it."""
    attempts = notification.attempts + 1
    values = {"attempts": attempts, "claimed_until": None, "claim_token": None}
    if error is None:
        return {**values, "status": NotificationStatus.SENT, "sent_at": utcnow(), "last_error": None}
    values["last_error"] = f"{type(error).__name__}: {error}"[:500]
    if address_refused(error):
        return {**values, "status": NotificationStatus.REFUSED}  # waits on the staff outbox page
    return {**values, "next_attempt_at": utcnow() + backoff(attempts)}


def _record(notification_id: int, values: dict) -> None:
    """One UPDATE and one commit per email: the commit after each send is what bounds repeats to one.

    A Core UPDATE rather than an ORM flush: no change tracking, and an erased row is simply not matched.
    """
    db.session.execute(db.update(Notification).where(Notification.id == notification_id).values(**values),
                       execution_options={"synchronize_session": False})
    db.session.commit()


def deliver_due(now: datetime | None = None, batch_size: int | None = 100, honour_backoff: bool = True,
                stopping: Callable[[], bool] = lambda: False) -> DeliveryReport:
    """Send every notification due now, over one connection; a failure is retried later, not lost.

    The automatic sender honours the backoff; an operator running send-mail by hand means "now".
    When `stopping()` turns true, the message in hand is finished and the rest handed back unsent.
    """
    now = now or utcnow()
    report = DeliveryReport(busy=count_in_flight(now, honour_backoff))
    batch = claim_batch(now, batch_size, honour_backoff)
    if not batch.ids:
        return report
    # Ids only: holding every row would make each commit expire (and reload) the whole batch.
    pending = deque(db.session.execute(
        db.select(Notification.id).where(Notification.id.in_(batch.ids))
        .order_by(Notification.next_attempt_at, Notification.id)
    ).scalars())
    try:
        with open_transport() as transport:
            while pending and not stopping():
                _send_one(pending[0], batch, transport, report)
                pending.popleft()
    except Exception as exc:  # could not connect, or lost the connection part way
        if not pending and not isinstance(exc, smtplib.SMTPServerDisconnected):
            current_app.logger.warning("Mail server closed badly after sending: %s", type(exc).__name__)
        db.session.rollback()
        for notification_id in pending:
            notification = _if_still_ours(notification_id, batch)
            if notification is not None:
                _fail(notification, exc, report)
        pending.clear()
    finally:
        if pending:  # stopping: another sender may take these at once rather than after the lease
            release_claims(batch.token)
    return report


def _if_still_ours(notification_id: int, batch: ClaimedBatch) -> Notification | None:
    """The row read afresh with its request, or None when it was erased, withdrawn, or taken over after
    our lease lapsed. One SELECT: the request comes with it, as every email is about one."""
    notification = db.session.execute(
        db.select(Notification).where(Notification.id == notification_id)
        .options(joinedload(Notification.consultation_request))
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return notification if notification is not None and holds(notification, batch.token) else None


def _send_one(notification_id: int, batch: ClaimedBatch, transport, report: DeliveryReport) -> None:
    """Build, send and record one email; one bad message must not hold back the others."""
    batch.keep_alive()
    notification = _if_still_ours(notification_id, batch)
    if notification is None:
        report.busy += 1
        return
    try:
        message = build_message(notification)
        if message is None:  # nothing left to say (an appointment cancelled before its reminder)
            _record(notification_id, {"status": NotificationStatus.WITHDRAWN, "claimed_until": None,
                                      "claim_token": None})
            report.withdrawn.append(notification_id)
            return
        transport.send(message)
    except smtplib.SMTPServerDisconnected:
        raise  # the connection is gone: everything left fails the same way
    except Exception as exc:
        _fail(notification, exc, report)
    else:
        _record(notification_id, _outcome(notification, None))
        report.sent.append(notification_id)


def _fail(notification: Notification, exc: BaseException, report: DeliveryReport) -> None:
    values = _outcome(notification, exc)
    kind, reference, notification_id = notification.kind, notification.consultation_request.reference, notification.id
    _record(notification_id, values)
    (report.refused if values.get("status") == NotificationStatus.REFUSED else report.failed).append(notification_id)
    current_app.logger.warning(
        "Notification %s (%s, request %s) not delivered, attempt %s: %s",
        notification_id, kind, reference, values["attempts"], type(exc).__name__,
    )
