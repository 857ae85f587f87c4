"""The outbox writes each email with the standard library (booking/outbox/transport.py, message_bytes): a reader
finds in it exactly what Flask-Mail's own Message.as_bytes() would have said, header by header and part by part.
"""

from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from flask import Flask
from flask_mail import Mail, Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.outbox.transport import message_bytes

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


@pytest.fixture(scope="module")
def mail_app():
    app = Flask("mail-bytes")
    app.config.update(MAIL_DEFAULT_SENDER=("Juniper Physical Therapy", "desk@clinic.test"))
    Mail(app)
    with app.app_context():
        yield app


def read(raw: bytes) -> dict:
    """What a mail program shows: each header decoded (To as a set: Flask-Mail's order is a set's) and each
    leaf part's type, parameters, file name and decoded content."""
    parsed = message_from_bytes(raw, policy=policy.compat32)
    headers = {name: str(make_header(decode_header(value))) for name, value in parsed.items()
               if name not in ("Content-Type", "To")}
    headers["To"] = {address.strip() for address in str(make_header(decode_header(parsed["To"]))).split(",")}
    parts = [(part.get_content_type(), sorted((k, v) for k, v in part.get_params() or () if k != "boundary"),
              part.get_filename(), part.get_payload(decode=True) if not part.is_multipart() else None)
             for part in parsed.walk()]
    return {"headers": headers, "parts": parts}


def same_as_flask_mail(message: Message) -> dict:
    message.date = 1_800_000_000.0
    ours = read(message_bytes(message))
    assert ours == read(message.as_bytes())
    return ours


def test_a_patient_email_in_spanish_with_its_calendar_file(mail_app):
    message = Message(subject="Su cita está confirmada [JPT-ABCD-EFGH] - Juniper Physical Therapy",
                      recipients=["maria.lopez@exámple.org"],
                      body="Hola María,\n\nSu cita: martes 9:00 — ¡gracias!\n",
                      html="<p>Hola María,</p><p>Su cita: martes 9:00 — ¡gracias!</p>",
                      extra_headers={"Auto-Submitted": "auto-generated"})
    message.attach("consultation.ics", "text/calendar; method=REQUEST; charset=UTF-8", CALENDAR)
    seen = same_as_flask_mail(message)
    assert seen["headers"]["Subject"].startswith("Su cita está confirmada")
    assert [part[0] for part in seen["parts"]] == ["multipart/mixed", "multipart/alternative", "text/plain",
                                                   "text/html", "text/calendar"]
    assert ("method", "REQUEST") in seen["parts"][-1][1] and seen["parts"][-1][2] == "consultation.ics"
    assert "Su cita: martes 9:00 — ¡gracias!".encode() in seen["parts"][2][3]


def test_a_clinic_email_with_a_reply_to_a_copy_and_a_pdf(mail_app):
    message = Message(subject="Consent signed [JPT-ABCD-EFGH]", recipients=["desk@clinic.test", "lead@clinic.test"],
                      cc=["owner@clinic.test"], reply_to=("Peña, José", "jose@example.org"), body="Signed.\n")
    message.attach("consent.pdf", "application/pdf", b"%PDF-1.7\n" + bytes(range(256)))
    seen = same_as_flask_mail(message)
    assert seen["headers"]["Reply-To"] == "Peña, José <jose@example.org>"  # one encoded word: the comma inside
    assert seen["parts"][-1][3] == b"%PDF-1.7\n" + bytes(range(256))


def test_plain_text_alone_is_one_part(mail_app):
    seen = same_as_flask_mail(Message(subject="Sign-in code", recipients=["desk@clinic.test"], body="123456\n"))
    assert [part[0] for part in seen["parts"]] == ["text/plain"]


def test_a_line_break_in_a_header_is_refused(mail_app):
    from flask_mail import BadHeaderError

    with pytest.raises(BadHeaderError):
        message_bytes(Message(subject="Hello\r\nBcc: everyone@example.org", recipients=["a@example.org"], body="x"))


# Any text a patient or the clinic can put in a subject or a body, and names as people write them.
header_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=120).filter(
    lambda text: text.strip() == text)
names = st.text(st.characters(whitelist_categories=("L", "M", "Zs", "Nd"), whitelist_characters="'-."),
                min_size=1, max_size=60).filter(lambda text: text.strip() == text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=header_text, name=names, body=st.text(st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_any_subject_name_and_body_read_the_same(mail_app, subject, name, body):
    """Headers read back exactly as written (two decoders differ on spaces between Flask-Mail's encoded words,
    so the words themselves are the reference); the parts read as Flask-Mail's do."""
    message = Message(subject=subject, recipients=[(name, "patient@example.org")], body=body, html=f"<p>{body}</p>",
                      sender=(name, "desk@clinic.test"))
    message.date = 1_800_000_000.0
    ours = read(message_bytes(message))
    assert ours["parts"] == read(message.as_bytes())["parts"]
    assert ours["headers"]["Subject"] == subject
    assert ours["headers"]["From"] == f"{name} <desk@clinic.test>"
    assert ours["headers"]["To"] == {f"{name} <patient@example.org>"}
