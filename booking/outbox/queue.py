"""Putting an email into the outbox, inside the caller's own transaction."""

from email.utils import make_msgid, parseaddr
from functools import cache

from flask import current_app
from sqlalchemy import text

from booking.extensions import db
from booking.models import Notification
from booking.outbox.registry import UnknownEmailKind, is_registered

# PostgreSQL: `send-mail --watch` LISTENs here; the NOTIFY is delivered when the caller commits.
CHANNEL = "booking_outbox"
_NOTIFIED = "outbox_notified_transaction"
# Set on the session by every enqueue; the commit that stores the mail wakes this process's sender
# (booking/outbox/worker.py), a rollback forgets it. No feature has to wake anything itself.
MAIL_QUEUED = "outbox_mail_queued"


def _message_id() -> str:
    """One Message-ID per email, fixed now so every retry carries the same one."""
    return make_msgid(domain=_sender_domain(current_app.config["MAIL_DEFAULT_SENDER"]))


@cache
def _sender_domain(sender: str) -> str:
    """The sender's domain, parsed once per setting rather than once per email."""
    _, address = parseaddr(sender)
    return address.rpartition("@")[2] or "localhost"


def _wake_watchers() -> None:
    """Mark the transaction as one that queued mail; on PostgreSQL also tell listening mail workers
    (once per transaction). Both take effect only when the caller commits."""
    db.session.info[MAIL_QUEUED] = True
    if db.session.get_bind().dialect.name != "postgresql":
        return
    transaction = db.session().get_transaction()
    if transaction is None or db.session.info.get(_NOTIFIED) is not transaction:
        db.session.execute(text(f"NOTIFY {CHANNEL}"))
        db.session.info[_NOTIFIED] = db.session().get_transaction()


def enqueue(kind: str, **about) -> Notification:
    """Owe one email of a registered kind; `about` names its row (request_id=... or the object). The caller commits."""
    if not is_registered(kind):
        raise UnknownEmailKind(kind)  # refused now, rather than failing on every retry
    notification = Notification(kind=kind, message_id=_message_id(), **about)
    db.session.add(notification)
    _wake_watchers()
    return notification


def enqueue_for_request(request_id: int, *kinds: str, payloads: dict[str, dict] | None = None) -> None:
    """Owe one email of each kind about a stored request, as one plain insert: no ORM objects to flush.

    `payloads` gives a kind what it must remember of this moment (the email is built later, from it).
    """
    for kind in kinds:
        if not is_registered(kind):
            raise UnknownEmailKind(kind)
    payloads = payloads or {}
    db.session.execute(db.insert(Notification.__table__),
                       [{"request_id": request_id, "kind": kind, "message_id": _message_id(),
                         "payload": payloads.get(kind, {})} for kind in kinds])
    _wake_watchers()
