"""One delivery pass: claim what is due, send it over one connection, record each outcome."""

import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_mail import Message
from sqlalchemy.orm import joinedload

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.outbox.backoff import address_refused, backoff
from booking.outbox.claims import ClaimedBatch, claim_batch, count_in_flight, holds, release_claims
from booking.outbox.registry import build_message
from booking.states import NotificationStatus
from booking.outbox.transport import open_transport


@dataclass
class DeliveryReport:
    """What one pass over the outbox did, for the CLI to tell and the exit code to reflect."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # will be retried
    refused: list[int] = field(default_factory=list)  # the address was refused: staff must look
    busy: int = 0  # due, but claimed by another process that is sending it now
    withdrawn: list[int] = field(default_factory=list)  # its feature said it is no longer needed
    handed_back: int = 0  # claimed, then given back unsent because the sender was told to stop

    @property
    def handled(self) -> int:
        """Emails this pass settled one way or another: sent, failed, refused or withdrawn."""
        return len(self.sent) + len(self.failed) + len(self.refused) + len(self.withdrawn)

    @property
    def undelivered(self) -> int:
        return len(self.failed) + len(self.refused) + self.busy


# Whatever became of an email, the sender's claim on it ends with the record of it.
_CLAIM_RELEASED = {"claimed_until": None, "claim_token": None}


def _outcome(attempts_before: int, error: BaseException | None) -> dict:
    """The columns that record one attempt, whatever its outcome; the claim is released with it."""
    attempts = attempts_before + 1
    values = {"attempts": attempts, **_CLAIM_RELEASED}
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


@dataclass
class Outgoing:
    """One email read afresh and built, with what recording it needs once the row's objects are expired."""

    id: int
    kind: str
    reference: str
    attempts: int
    message: Message | None = None  # None: its feature withdrew it
    error: Exception | None = None  # building it failed


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
    ids = db.session.execute(
        db.select(Notification.id).where(Notification.id.in_(batch.ids))
        .order_by(Notification.next_attempt_at, Notification.id)
    ).scalars().all()
    done = [0]  # ids[:done[0]] have their outcome committed
    try:
        with open_transport() as transport:
            _send_in_order(ids, done, batch, transport, report, stopping)
    except Exception as exc:  # could not connect, or lost the connection part way
        if done[0] == len(ids) and not isinstance(exc, smtplib.SMTPServerDisconnected):
            current_app.logger.warning("Mail server closed badly after sending: %s", type(exc).__name__)
        db.session.rollback()
        for notification_id in ids[done[0]:]:
            notification = _if_still_ours(notification_id, batch)
            if notification is not None:
                _fail(_outgoing(notification), exc, report)
        done[0] = len(ids)
    finally:
        if done[0] < len(ids):  # stopping: another sender may take these at once rather than after the lease
            release_claims(batch.token)
            report.handed_back = len(ids) - done[0]
    return report


def _send_in_order(ids: list[int], done: list[int], batch: ClaimedBatch, transport, report: DeliveryReport,
                   stopping: Callable[[], bool]) -> None:
    """Send each email in turn; while the server digests one, the next is read and built.

    Each outcome is still committed before the next email is handed to the server, so a sender killed at
    any moment repeats at most the one email whose answer it had not yet recorded.
    """
    in_flight: Outgoing | None = None
    for notification_id in ids:
        if stopping():
            break
        batch.keep_alive()
        notification = _if_still_ours(notification_id, batch)
        outgoing = _built(notification) if notification is not None else None
        if in_flight is not None:
            _settle(in_flight, transport, report)
            done[0] += 1
            in_flight = None
            if stopping():
                break  # the next, built but not handed over, goes back with the rest
        if outgoing is None:
            report.busy += 1
        elif outgoing.error is not None:
            _fail(outgoing, outgoing.error, report)
        elif outgoing.message is None:  # nothing left to say (an appointment cancelled before its reminder)
            _record(outgoing.id, {"status": NotificationStatus.WITHDRAWN, **_CLAIM_RELEASED})
            report.withdrawn.append(outgoing.id)
        elif _handed_over(outgoing, transport, report):
            in_flight = outgoing
            continue
        done[0] += 1
    if in_flight is not None:  # the message in hand is finished, even when stopping
        _settle(in_flight, transport, report)
        done[0] += 1


def _outgoing(notification: Notification) -> Outgoing:
    about = notification.consultation_request
    return Outgoing(notification.id, notification.kind, about.reference if about is not None else "none",
                    notification.attempts)


def _built(notification: Notification) -> Outgoing:
    """The email, or the reason it cannot be built; one bad message must not hold back the others."""
    outgoing = _outgoing(notification)
    try:
        outgoing.message = build_message(notification)
    except Exception as exc:
        outgoing.error = exc
    return outgoing


def _handed_over(outgoing: Outgoing, transport, report: DeliveryReport) -> bool:
    """Give the email to the server; False (recorded as failed) when it was refused before its text."""
    try:
        transport.start(outgoing.message)
    except smtplib.SMTPServerDisconnected:
        raise  # the connection is gone: everything left fails the same way
    except Exception as exc:
        _fail(outgoing, exc, report)
        return False
    return True


def _settle(outgoing: Outgoing, transport, report: DeliveryReport) -> None:
    """Read the server's answer to an email and commit it, before the next one is handed over."""
    try:
        transport.finish()
    except smtplib.SMTPServerDisconnected:
        raise
    except Exception as exc:
        _fail(outgoing, exc, report)
    else:
        _record(outgoing.id, _outcome(outgoing.attempts, None))
        report.sent.append(outgoing.id)


def _if_still_ours(notification_id: int, batch: ClaimedBatch) -> Notification | None:
    """The row read afresh with its request, or None when it was erased, withdrawn, or taken over after
    our lease lapsed. One SELECT: the request comes with it, as every email is about one."""
    notification = db.session.execute(
        db.select(Notification).where(Notification.id == notification_id)
        .options(joinedload(Notification.consultation_request))
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return notification if notification is not None and holds(notification, batch.token) else None


def _fail(outgoing: Outgoing, exc: BaseException, report: DeliveryReport) -> None:
    values = _outcome(outgoing.attempts, exc)
    _record(outgoing.id, values)
    (report.refused if values.get("status") == NotificationStatus.REFUSED else report.failed).append(outgoing.id)
    current_app.logger.warning(
        "Notification %s (%s, request %s) not delivered, attempt %s: %s",
        outgoing.id, outgoing.kind, outgoing.reference, values["attempts"], type(exc).__name__,
    )
