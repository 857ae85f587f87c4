"""How an email leaves: over SMTP (the standard library's smtplib, with a timeout and a verifying TLS
context), or as an .eml file when no MAIL_SERVER is set.

The email itself is Flask-Mail's Message, written by its public as_bytes(). The connection is smtplib's own,
not Flask-Mail's Connection: Flask-Mail 0.10 has no timeout setting (a server that accepts and never answers
would block the sender forever) and no way to pass a TLS context, and its only way in would be overriding
Connection.configure_host, which Flask-Mail does not document.
"""

import os
import re
import smtplib
import ssl
import time
from collections.abc import Iterable

from flask import current_app
from flask_mail import BadHeaderError, Message, sanitize_address, sanitize_addresses


def tls_context() -> ssl.SSLContext:
    """Verify the mail server's certificate (smtplib does not by default); MAIL_CA_FILE for a private CA."""
    return ssl.create_default_context(cafile=current_app.config.get("MAIL_CA_FILE") or None)


def message_bytes(message: Message) -> bytes:
    """The email as it goes on the wire: Flask-Mail's own writing of it."""
    if message.has_bad_headers():
        raise BadHeaderError("a header carries a line break")
    if message.date is None:
        message.date = time.time()
    return message.as_bytes()


class SmtpTransport:
    """One SMTP connection for a whole batch, every socket operation bounded by MAIL_TIMEOUT_SECONDS."""

    def __init__(self, config):
        self.config = config
        self.host: smtplib.SMTP | None = None

    def __enter__(self):
        if self.config.get("MAIL_SUPPRESS_SEND"):
            return self
        config, timeout = self.config, self.config["MAIL_TIMEOUT_SECONDS"]
        server, port = config["MAIL_SERVER"], config["MAIL_PORT"]
        if config.get("MAIL_USE_SSL"):
            self.host = smtplib.SMTP_SSL(server, port, timeout=timeout, context=tls_context())
        else:
            self.host = smtplib.SMTP(server, port, timeout=timeout)
        try:
            if config.get("MAIL_USE_TLS"):
                self.host.starttls(context=tls_context())
            if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
                self.host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            self.host.close()
            raise
        return self

    def __exit__(self, *exc_info):
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPServerDisconnected, OSError):
                self.host.close()
            self.host = None
        return False

    def start(self, message: Message) -> None:
        """Hand the email over and read the server's answer; a refusal raises smtplib's own error."""
        if not message.send_to:
            raise ValueError("the email has no recipients")
        if not message.sender:
            raise ValueError("the email has no sender and MAIL_DEFAULT_SENDER is not set")
        data = message_bytes(message)
        if self.host is None:  # MAIL_SUPPRESS_SEND
            return
        self.host.sendmail(sanitize_address(message.sender), list(sanitize_addresses(message.send_to)), data,
                           message.mail_options, message.rcpt_options)

    def finish(self) -> None:
        """start() has already read the answer: smtplib sends one email at a time."""


def copy_path(directory: str, message_id: str) -> str:
    """One file per email, named after its Message-ID, so a retry overwrites it and erasure finds it."""
    name = re.sub(r"[^A-Za-z0-9.@_-]", "_", message_id.strip("<>"))
    return os.path.join(directory, f"{name}.eml")


class FileTransport:
    """With no MAIL_SERVER configured, each email becomes an .eml file a person can open."""

    def __init__(self, directory: str):
        self.directory = directory

    def __enter__(self):
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        os.chmod(self.directory, 0o700)  # the copies hold what patients wrote: only this user may list them
        return self

    def __exit__(self, *exc_info):
        return False

    def start(self, message) -> None:
        self.send(message)

    def finish(self) -> None:
        """Each file is written whole by start()."""

    def send(self, message) -> None:
        path = copy_path(self.directory, message.msgId)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)  # also when an earlier attempt left the file behind
            fh.write(message_bytes(message))
        current_app.logger.info("No MAIL_SERVER set: email written to %s", path)


def open_transport():
    if current_app.config.get("MAIL_SERVER"):
        return SmtpTransport(current_app.config)
    return FileTransport(current_app.config["MAIL_FILE_DIR"])


def delete_file_copies(message_ids: Iterable[str]) -> int:
    """Remove the .eml copies of these emails, if any were written; how many went."""
    directory = current_app.config["MAIL_FILE_DIR"]
    removed = 0
    for message_id in message_ids:
        try:
            os.remove(copy_path(directory, message_id))
        except FileNotFoundError:
            continue
        removed += 1
    return removed
