"""Fixtures: an app on a freshly migrated SQLite file, its clients, and a real SMTP server on loopback."""

import re
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade

from booking import create_app
from booking.extensions import db


@dataclass
class SmtpRecorder:
    """An aiosmtpd handler that keeps every message it accepts, and can be told to stall or refuse."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    received: threading.Event = field(default_factory=threading.Event)
    refuse: set[str] = field(default_factory=set)  # addresses answered with 550, as for a mistyped one

    def __post_init__(self):
        self.release.set()  # not stalled unless a test says so

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.received.set()
        while not self.release.is_set():
            await asyncio.sleep(0.02)
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A loopback port nobody is listening on (aiosmtpd's readiness check cannot use port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that a test can stop and start again on the same port."""

    def __init__(self):
        self.handler = SmtpRecorder()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def start_again(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    try:
        server.stop()
    except Exception:
        pass


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'booking.sqlite3'}",
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        "MAIL_TIMEOUT_SECONDS": 5,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def app(tmp_path, smtp):
    """The app, migrated, sending mail to the test's own SMTP server."""
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOKEN_INPUT = re.compile(r'name="submission_token" value="([^"]+)"')


def open_form(client) -> dict:
    """GET the form as a browser would, returning its hidden fields."""
    html = client.get("/consultation").get_data(as_text=True)
    return {
        "csrf_token": CSRF_INPUT.search(html).group(1),
        "submission_token": TOKEN_INPUT.search(html).group(1),
    }


def valid_answers(**changes) -> dict:
    answers = {
        "name": "Maria Lopez",
        "email": "maria@example.org",
        "phone": "(541) 555-0123",
        "contact_method": "phone",
        "condition": "plantar_fasciitis",
        "condition_other": "",
        "body_area": "ankle_foot",
        "side": "left",
        "duration": "3_to_12_months",
        "pain_level": "7",
        "description": "Sharp heel pain with the first steps every morning.",
        "had_dry_needling": "no",
        "screening": ["blood_thinners", "needle_fear"],
        "preferred_days": ["tue", "thu"],
        "preferred_times": ["morning"],
        "consent_contact": "y",
        "consent_privacy": "y",
    }
    answers.update(changes)
    return {key: value for key, value in answers.items() if value is not None}


@pytest.fixture
def submit(client):
    """Send the form with valid answers (and any changes), as a fresh browser tab would."""

    def _submit(**changes):
        return client.post("/consultation", data={**open_form(client), **valid_answers(**changes)})

    return _submit
