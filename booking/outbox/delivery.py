"""One delivery pass: claim what is due, send it over one connection, record each outcome."""

import smtplib
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.outbox.backoff import address_refused, backoff
from booking.outbox.claims import claim, count_in_flight, due, release, renew_claim
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


def deliver_due(now: datetime | None = None, batch_size: int | None = 100,
                honour_backoff: bool = True) -> DeliveryReport:
    """Send every notification due now, over one connection; a failure is retried later, not lost.

    The automatic sender honours the backoff; an operator running send-mail by hand means "now".
    """
    now = now or utcnow()
    report = DeliveryReport()
    due_ids = db.session.execute(
        db.select(Notification.id).where(due(now, honour_backoff))
        .order_by(Notification.next_attempt_at, Notification.id).limit(batch_size)
    ).scalars().all()
    in_flight = count_in_flight(now, honour_backoff)
    claims = {nid: token for nid in due_ids if (token := claim(nid, now, honour_backoff))}
    report.busy = in_flight + len(due_ids) - len(claims)
    if not claims:
        return report

    pending = [db.session.get(Notification, nid) for nid in claims]
    try:
        with open_transport() as transport:
            while pending:
                notification = pending[0]
                if not renew_claim(notification.id, claims[notification.id]):
                    report.busy += 1  # our claim lapsed and another sender took it over
                    pending.pop(0)
                    continue
                try:
                    message = build_message(notification)
                    if message is None:  # nothing left to say (an appointment cancelled before its reminder)
                        _withdraw(notification)
                        report.withdrawn.append(notification.id)
                        pending.pop(0)
                        continue
                    transport.send(message)
                except smtplib.SMTPServerDisconnected:
                    raise  # the connection is gone: everything left fails the same way
                except Exception as exc:  # one bad message must not hold back the others
                    _fail(notification, exc, report)
                else:
                    _record(notification, None)
                    report.sent.append(notification.id)
                pending.pop(0)
    except Exception as exc:  # could not connect, or lost the connection part way
        if not pending and not isinstance(exc, smtplib.SMTPServerDisconnected):
            current_app.logger.warning("Mail server closed badly after sending: %s", type(exc).__name__)
        for notification in pending:
            _fail(notification, exc, report)
    return report


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
