"""One delivery pass: claim what is due, send it over one connection, record each outcome."""

import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy.orm.exc import ObjectDeletedError

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.outbox.backoff import address_refused, backoff
from booking.outbox.claims import (ClaimedBatch, claim_batch, count_in_flight, holds, release,
                                   release_claims)
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


def _record(notification: Notification, error: BaseException | None) -> None:
    notification.attempts += 1
    release(notification)
    if error is None:
        notification.status = NotificationStatus.SENT
        notification.sent_at = utcnow()
        notification.last_error = None
    else:
        notification.last_error = f"{type(error).__name__}: {error}"[:500]
        if address_refused(error):
            notification.status = NotificationStatus.REFUSED  # waits on the staff outbox page
        else:
            notification.next_attempt_at = utcnow() + backoff(notification.attempts)
    db.session.commit()


def _withdraw(notification: Notification) -> None:
    release(notification)
    notification.status = NotificationStatus.WITHDRAWN
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
    pending = list(db.session.execute(
        db.select(Notification).where(Notification.id.in_(batch.ids))
        .order_by(Notification.next_attempt_at, Notification.id)
    ).scalars())
    try:
        with open_transport() as transport:
            while pending and not stopping():
                _send_one(pending[0], batch, transport, report)
                pending.pop(0)
    except Exception as exc:  # could not connect, or lost the connection part way
        if not pending and not isinstance(exc, smtplib.SMTPServerDisconnected):
            current_app.logger.warning("Mail server closed badly after sending: %s", type(exc).__name__)
        for notification in pending:
            if _still_ours(notification, batch):
                _fail(notification, exc, report)
        pending = []
    finally:
        if pending:  # stopping: another sender may take these at once rather than after the lease
            release_claims(batch.token)
    return report


def _still_ours(notification: Notification, batch: ClaimedBatch) -> bool:
    """False when the row was erased, withdrawn, or taken over after our lease lapsed."""
    try:
        return holds(notification, batch.token)
    except ObjectDeletedError:
        db.session.rollback()
        return False


def _send_one(notification: Notification, batch: ClaimedBatch, transport, report: DeliveryReport) -> None:
    """Build, send and record one email; one bad message must not hold back the others."""
    batch.keep_alive()
    if not _still_ours(notification, batch):
        report.busy += 1
        return
    try:
        message = build_message(notification)
        if message is None:  # nothing left to say (an appointment cancelled before its reminder)
            _withdraw(notification)
            report.withdrawn.append(notification.id)
            return
        transport.send(message)
    except smtplib.SMTPServerDisconnected:
        raise  # the connection is gone: everything left fails the same way
    except Exception as exc:
        _fail(notification, exc, report)
    else:
        _record(notification, None)
        report.sent.append(notification.id)


def _fail(notification: Notification, exc: BaseException, report: DeliveryReport) -> None:
    _record(notification, exc)
    (report.refused if notification.status == NotificationStatus.REFUSED else report.failed).append(
        notification.id)
    current_app.logger.warning(
        "Notification %s (%s, request %s) not delivered, attempt %s: %s",
        notification.id,
        notification.kind,
        notification.consultation_request.reference,
        notification.attempts,
        type(exc).__name__,
    )
