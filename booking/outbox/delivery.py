"""Delivering due notifications: claim each one, send it, record the outcome, back off on failure."""

import os
import secrets
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_mail import Connection

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.outbox.messages import build_message

FIRST_RETRY_SECONDS = 30


@dataclass
class DeliveryReport:
    """What one pass over the outbox did, for the CLI to tell and the exit code to reflect."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # will be retried
    refused: list[int] = field(default_factory=list)  # the address was refused: staff must look
    busy: int = 0  # due, but claimed by another process that is sending it now

    @property
    def undelivered(self) -> int:
        return len(self.failed) + len(self.refused) + self.busy


class BoundedConnection(Connection):
    """Flask-Mail's connection with a socket timeout: a mail server that never answers cannot hang us."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class FileTransport:
    """With no MAIL_SERVER configured, each email becomes an .eml file a person can open."""

    def __init__(self, directory: str):
        self.directory = directory

    def __enter__(self):
        os.makedirs(self.directory, exist_ok=True)
        return self

    def __exit__(self, *exc_info):
        return False

    def send(self, message) -> None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        name = f"{stamp}-{secrets.token_hex(4)}.eml"
        path = os.path.join(self.directory, name)
        with open(path, "wb") as fh:
            fh.write(message.as_bytes())
        current_app.logger.info("No MAIL_SERVER set: email written to %s", path)


def open_transport():
    if current_app.config.get("MAIL_SERVER"):
        return BoundedConnection(current_app.extensions["mail"])
    return FileTransport(current_app.config["MAIL_FILE_DIR"])


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling up to the configured ceiling; never given up on."""
    ceiling = current_app.config["OUTBOX_MAX_BACKOFF_SECONDS"]
    return timedelta(seconds=min(ceiling, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


def _due(now: datetime):
    return (
        (Notification.status == "pending")
        & (Notification.next_attempt_at <= now)
        & ((Notification.claimed_until.is_(None)) | (Notification.claimed_until < now))
    )


def _lease() -> timedelta:
    """Long enough to send one message over a slow connection; a crashed sender's claim then lapses."""
    return timedelta(seconds=4 * current_app.config["MAIL_TIMEOUT_SECONDS"] + 60)


def claim(notification_id: int, now: datetime) -> str | None:
    """Take one notification for this process, atomically, so no two senders deliver it twice."""
    token = secrets.token_hex(8)
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.id == notification_id, _due(now))
        .values(claim_token=token, claimed_until=now + _lease())
    )
    db.session.commit()
    return token if result.rowcount == 1 else None


def renew_claim(notification_id: int, token: str) -> bool:
    """Just before sending: is the claim still ours? Extend it, so a long batch never outlives it."""
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.id == notification_id, Notification.claim_token == token,
               Notification.status == "pending")
        .values(claimed_until=utcnow() + _lease())
    )
    db.session.commit()
    return result.rowcount == 1


def address_refused(error: BaseException) -> bool:
    """The mail server refused every recipient for good (5xx): retrying the same address cannot help."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in error.recipients.values()
    )


def _record(notification: Notification, error: BaseException | None) -> None:
    notification.attempts += 1
    notification.claimed_until = None
    notification.claim_token = None
    if error is None:
        notification.status = "sent"
        notification.sent_at = utcnow()
        notification.last_error = None
    else:
        notification.last_error = f"{type(error).__name__}: {error}"[:500]
        if address_refused(error):
            notification.status = "refused"  # shown on the staff outbox page until someone retries it
        else:
            notification.next_attempt_at = utcnow() + backoff(notification.attempts)
    db.session.commit()


def deliver_due(now: datetime | None = None, batch_size: int | None = 100) -> DeliveryReport:
    """Send every notification due now, over one connection; a failure is retried later, not lost."""
    now = now or utcnow()
    report = DeliveryReport()
    due_ids = db.session.execute(
        db.select(Notification.id).where(_due(now)).order_by(Notification.next_attempt_at).limit(batch_size)
    ).scalars().all()
    in_flight = _count_in_flight(now)
    claims = {nid: token for nid in due_ids if (token := claim(nid, now))}
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
                    transport.send(build_message(notification))
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
    (report.refused if notification.status == "refused" else report.failed).append(notification.id)
    current_app.logger.warning(
        "Notification %s (%s, request %s) not delivered, attempt %s: %s",
        notification.id,
        notification.kind,
        notification.consultation_request.reference,
        notification.attempts,
        type(exc).__name__,
    )


def _count_in_flight(now: datetime) -> int:
    """Due notifications another process has claimed and is sending (or died sending) right now."""
    return db.session.execute(
        db.select(db.func.count())
        .select_from(Notification)
        .where(
            Notification.status == "pending",
            Notification.next_attempt_at <= now,
            Notification.claimed_until >= now,
            Notification.claim_token.is_not(None),
        )
    ).scalar_one()


def count_undelivered() -> int:
    return db.session.execute(
        db.select(db.func.count()).select_from(Notification).where(Notification.status != "sent")
    ).scalar_one()
