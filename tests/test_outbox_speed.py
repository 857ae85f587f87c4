"""The outbox's fast paths say exactly what the slow ones said: the same bytes, the same rows, the same mail."""

import random

import pytest

from booking.extensions import db
from booking.models import Notification
from booking.outbox.delivery import deliver_due
from booking.outbox.registry import build_message
from booking.outbox.states import NotificationStatus
from booking.outbox.transport import message_bytes
from tests.appointment_helpers import book_next_week, clock  # noqa: F401  (a fixture)
from tests.factories import make_request

LONG_NAME = "María José Fernández de la Peña y Ñúñez-Villavicencio"


def built_emails() -> list:
    """Every email owed in the database, built as the outbox builds it just before sending."""
    notifications = db.session.execute(db.select(Notification).order_by(Notification.id)).scalars()
    return [(n.kind, message) for n in notifications if (message := build_message(n)) is not None]


def flask_mail_bytes(message, seed: int) -> bytes:
    random.seed(seed)  # the MIME boundary is random: the same seed gives both writers the same one
    return message.as_bytes()


def fast_bytes(message, seed: int) -> bytes:
    random.seed(seed)
    return message_bytes(message)


@pytest.mark.parametrize("details", ["full", "minimal"])
def test_every_email_is_written_byte_for_byte_as_flask_mail_writes_it(make_app, clock, details):
    app = make_app(NOTIFY_DETAILS=details)
    with app.app_context():
        make_request()
        make_request(language="es", name=LONG_NAME, email="maria.jose.fernandez.villavicencio@example.org",
                     description="Dolor agudo en el talón " * 40)
        book_next_week()  # a confirmation with its .ics invite, and its reminder
        emails = built_emails()
        assert {kind for kind, _ in emails} >= {"clinic_new_request", "patient_acknowledgement",
                                                "appointment_confirmed"}
        for kind, message in emails:
            message.date = 1_900_000_000.0
            for seed in range(5):
                assert fast_bytes(message, seed) == flask_mail_bytes(message, seed), kind


def test_a_pass_records_every_outcome_as_before(app, smtp):
    """Sent and refused rows, each released from its claim, after one pass that records with Core UPDATEs."""
    with app.app_context():
        first, second = make_request(), make_request(email="nobody@example.org")
        smtp.handler.refuse.add("nobody@example.org")
        report = deliver_due(honour_backoff=False)
        rows = {n.id: n for n in db.session.execute(db.select(Notification)).scalars()}
        assert len(report.sent) == 3 and len(report.refused) == 1 and report.failed == []
        assert {rows[i].request_id for i in report.sent} == {first.id, second.id}
        for row in rows.values():
            assert row.attempts == 1 and row.claim_token is None and row.claimed_until is None
        for sent_id in report.sent:
            assert rows[sent_id].status == NotificationStatus.SENT and rows[sent_id].sent_at is not None
            assert rows[sent_id].last_error is None
        refused = rows[report.refused[0]]
        assert refused.status == NotificationStatus.REFUSED and refused.request_id == second.id
        assert refused.last_error.startswith("SMTPRecipientsRefused")
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(rows[i].message_id for i in report.sent)


@pytest.mark.parametrize("address", [
    "desk@clinic.test",
    "María López <maria@example.org>",
    ("Zoë O'Brien", "zoe@example.org"),
    "José <jose@bücher.example>",  # an international domain, written in IDNA
    ["List Form", "list@example.org"],  # unhashable: Flask-Mail's own answer, not the memory's
])
def test_remembered_addresses_are_written_exactly_as_flask_mail_writes_them(address):
    from booking.outbox import transport

    original = transport._flask_mail_sanitize_address
    assert transport.sanitize_address(address) == original(address)
    assert transport.sanitize_address(address) == original(address)  # the second time, from memory
