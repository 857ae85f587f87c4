"""When the automatic sender tries a failed email again, and when it must not try at all."""

import smtplib
from datetime import timedelta

from flask import current_app

FIRST_RETRY_SECONDS = 30


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling up to the configured ceiling; never given up on."""
    ceiling = current_app.config["OUTBOX_MAX_BACKOFF_SECONDS"]
    return timedelta(seconds=min(ceiling, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


def address_refused(error: BaseException) -> bool:
    """The mail server refused every recipient for good (5xx): retrying the same address cannot help."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in error.recipients.values()
    )
