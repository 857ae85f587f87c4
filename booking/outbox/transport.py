"""How an email leaves: Flask-Mail over SMTP with a timeout and a verifying TLS context, or an .eml file."""

import functools
import os
import re
import smtplib
import ssl
import time
from collections.abc import Iterable
from email.policy import SMTP, Compat32

import flask_mail
from flask import current_app
from flask_mail import BadHeaderError, Connection, Message, email_dispatched, sanitize_addresses

# Flask-Mail parses and re-encodes every address on every email (From, To, the envelope: four or five times
# an email, a tenth of the sender's CPU), though the answer depends only on the address. A pure function,
# so keeping its answers changes no byte (tests/test_outbox_speed.py compares the bytes with Flask-Mail's).
_flask_mail_sanitize_address = flask_mail.sanitize_address


@functools.lru_cache(maxsize=4096)
def _sanitized(address, encoding: str) -> str:
    return _flask_mail_sanitize_address(address, encoding)


def sanitize_address(address, encoding: str = "utf-8") -> str:
    """Flask-Mail's sanitize_address, answered from memory for an address seen before."""
    try:
        return _sanitized(address, encoding)
    except TypeError:  # an unhashable address (a list): as Flask-Mail would
        return _flask_mail_sanitize_address(address, encoding)


flask_mail.sanitize_address = sanitize_address  # Flask-Mail's Message and sanitize_addresses look it up here


def tls_context() -> ssl.SSLContext:
    """Verify the mail server's certificate (smtplib does not by default); MAIL_CA_FILE for a private CA."""
    return ssl.create_default_context(cafile=current_app.config.get("MAIL_CA_FILE") or None)


class _SmtpFolding(Compat32):
    """policy.SMTP's header folding and CRLF line ends, with compat32's reading of headers as plain strings.

    Flask-Mail flattens with policy.SMTP, whose generator parses every header it reads back (Content-Type
    several times per part) through the header registry: two thirds of an email's CPU. The output does not
    change: the written headers are folded by policy.SMTP itself (tests/test_outbox_speed.py compares bytes).
    """

    linesep = "\r\n"

    def fold(self, name, value):
        return SMTP.fold(name, value)

    def fold_binary(self, name, value):
        return SMTP.fold_binary(name, value)


_SMTP_FOLDING = _SmtpFolding()


def message_bytes(message: Message) -> bytes:
    """The email as Flask-Mail's Message.as_bytes() writes it, byte for byte, at a third of the cost."""
    mime = message._message()  # Flask-Mail 0.10 (pinned): builds the MIME tree, then sets policy.SMTP
    mime.policy = _SMTP_FOLDING
    return mime.as_bytes()


class BoundedConnection(Connection):
    """Flask-Mail's connection with a socket timeout: a mail server that never answers cannot hang us."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout, context=tls_context())
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls(context=tls_context())
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host

    def send(self, message: Message, envelope_from=None) -> None:
        """Flask-Mail's Connection.send, with the message flattened by message_bytes()."""
        self.start(message, envelope_from)
        self.finish()

    def start(self, message: Message, envelope_from=None) -> None:
        """smtplib's sendmail up to the server's last reply, which finish() reads.

        Meanwhile the sender builds the next email: the server digests this one in its own process. A
        refusal of the sender or of every recipient raises here, as sendmail would (MAIL_MAX_EMAILS unused).
        """
        assert message.send_to, "No recipients have been added"
        assert message.sender, "The message has no sender and MAIL_DEFAULT_SENDER is not set"
        if message.has_bad_headers():
            raise BadHeaderError
        if message.date is None:
            message.date = time.time()
        if self.host is not None:  # None when MAIL_SUPPRESS_SEND
            _start_sendmail(self.host, sanitize_address(envelope_from or message.sender),
                            list(sanitize_addresses(message.send_to)), message_bytes(message),
                            message.mail_options, message.rcpt_options)
        email_dispatched.send(current_app._get_current_object(), message=message)

    def finish(self) -> None:
        """The server's answer to the email start() handed over; SMTPDataError unless it took it."""
        if self.host is None:
            return
        code, reply = self.host.getreply()
        if code != 250:
            _reset_after(self.host, code)
            raise smtplib.SMTPDataError(code, reply)


def _reset_after(host: smtplib.SMTP, code: int) -> None:
    """As smtplib does after a refusal: 421 means the server is closing; anything else, RSET and go on."""
    if code == 421:
        host.close()
        return
    try:
        host.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def _start_sendmail(host: smtplib.SMTP, sender: str, recipients: list[str], data: bytes, mail_options,
                    rcpt_options) -> None:
    """smtplib.SMTP.sendmail (Python 3.11) without reading the reply to the message itself."""
    host.ehlo_or_helo_if_needed()
    options = [f"size={len(data)}"] if host.does_esmtp and host.has_extn("size") else []
    options += list(mail_options) if host.does_esmtp else []
    code, reply = host.mail(sender, options)
    if code != 250:
        _reset_after(host, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for recipient in recipients:
        code, reply = host.rcpt(recipient, rcpt_options)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:
            host.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _reset_after(host, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    host.putcmd("data")
    code, reply = host.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    payload = re.sub(rb"(?m)^\.", b"..", data)  # a line starting with a dot gets another (RFC 5321)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    host.send(payload + b".\r\n")


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
        return BoundedConnection(current_app.extensions["mail"])
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
