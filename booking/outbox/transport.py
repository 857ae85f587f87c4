"""How an email leaves: over SMTP (the standard library's smtplib, with a timeout and a verifying TLS
context), or as an .eml file when no MAIL_SERVER is set.

Features describe each email as a Flask-Mail Message. The connection is smtplib's own, not Flask-Mail's
Connection: Flask-Mail 0.10 has no timeout setting (a server that accepts and never answers would block the
sender forever) and no way to pass a TLS context, and its only way in would be overriding
Connection.configure_host, which Flask-Mail does not document.

The bytes on the wire are written by the standard library's email package from the Message's public fields
(message_bytes), not by Message.as_bytes(): that one always writes under email.policy.SMTP, which parses
every header again while writing it: about two thirds of the CPU an email cost to build, and the largest
single part of the drain's. The same MIME tree written with email.mime's own policy (compat32) is the
same email at about a third of the cost; tests/test_mail_bytes.py reads both and finds them the same.
"""

import email.encoders
import email.header
import email.policy
import email.utils
import os
import re
import smtplib
import ssl
import time
from collections.abc import Iterable
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from flask import current_app
from flask_mail import Attachment, BadHeaderError, Message, sanitize_address, sanitize_addresses


def tls_context() -> ssl.SSLContext:
    """Verify the mail server's certificate (smtplib does not by default); MAIL_CA_FILE for a private CA."""
    return ssl.create_default_context(cafile=current_app.config.get("MAIL_CA_FILE") or None)


# email.mime's own policy, with SMTP's line ends: smtplib sends bytes as given, and a bare LF is refused by
# careful servers.
WIRE = email.policy.compat32.clone(linesep="\r\n")


def message_bytes(message: Message) -> bytes:
    """The email as it goes on the wire: text, its HTML alternative and any attachments, in UTF-8."""
    if message.has_bad_headers():
        raise BadHeaderError("a header carries a line break")
    if message.date is None:
        message.date = time.time()
    return mime_tree(message).as_bytes(policy=WIRE)


def mime_tree(message: Message) -> MIMEBase:
    """multipart/mixed around multipart/alternative (text, HTML) and the attachments; one part alone if
    there is nothing else."""
    charset = message.charset or "utf-8"
    text = MIMEText(message.body or "", "plain", charset)
    alternatives = [MIMEText(content, subtype, charset) for subtype, content in message.alts.items()]
    content = MIMEMultipart("alternative", _subparts=[text, *alternatives]) if alternatives else text
    attachments = [attachment_part(attachment) for attachment in message.attachments]
    tree = MIMEMultipart("mixed", _subparts=[content, *attachments]) if attachments or alternatives else text
    if message.subject:
        subject = message.subject
        tree["Subject"] = subject if subject.isascii() else email.header.Header(subject, charset)
    tree["From"] = sanitize_address(message.sender, charset)
    tree["To"] = ", ".join(dict.fromkeys(sanitize_addresses(message.recipients, charset)))
    tree["Date"] = email.utils.formatdate(message.date, localtime=True)
    tree["Message-ID"] = message.msgId
    if message.cc:
        tree["Cc"] = ", ".join(dict.fromkeys(sanitize_addresses(message.cc, charset)))
    if message.reply_to:
        tree["Reply-To"] = sanitize_address(message.reply_to, charset)
    for name, value in (message.extra_headers or {}).items():
        tree[name] = value
    return tree


def attachment_part(attachment: Attachment) -> MIMEBase:
    """One attachment, base64, with its type's parameters (a calendar's method) kept on Content-Type."""
    kind, *parameters = (piece.strip() for piece in attachment.content_type.split(";"))
    main, sub = kind.split("/", 1)
    part = MIMEBase(main, sub, **dict(parameter.split("=", 1) for parameter in parameters if "=" in parameter))
    part.set_payload(attachment.data)
    email.encoders.encode_base64(part)
    if attachment.filename is not None:
        part.add_header("Content-Disposition", attachment.disposition, filename=attachment.filename)
    for name, value in attachment.headers.items():
        part.add_header(name, value)
    return part


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
