"""The kinds of email the outbox can build, each registered by the feature that owns it."""

from collections.abc import Callable

from flask_mail import Message

from booking.models import Notification

# A builder returns None when the email is no longer needed (a reminder for a cancelled appointment).
EmailBuilder = Callable[[Notification], Message | None]

_builders: dict[str, EmailBuilder] = {}


class UnknownEmailKind(LookupError):
    """No feature registered this kind: a typo, or a feature left out of create_app."""


def register_email(kind: str, builder: EmailBuilder) -> None:
    """Let the outbox build emails of this kind; registering the same builder twice is harmless."""
    if _builders.setdefault(kind, builder) is not builder:
        raise ValueError(f"Another builder is already registered for {kind!r} emails.")


def is_registered(kind: str) -> bool:
    return kind in _builders


def build_message(notification: Notification) -> Message | None:
    """The email for an outbox row, rendered now from what it is about, with its fixed Message-ID."""
    try:
        builder = _builders[notification.kind]
    except KeyError:
        raise UnknownEmailKind(notification.kind) from None
    message = builder(notification)
    if message is None:
        return None
    message.msgId = notification.message_id
    return message
