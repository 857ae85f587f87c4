"""Notification emails, delivered to a real SMTP server on loopback, retried until sent, never twice."""

import socket
import threading
import time

from booking.extensions import db
from booking.models import ConsultationRequest, Notification, utcnow
from booking.outbox.delivery import deliver_due
from booking.outbox.worker import stop_outbox_worker, wake_outbox_worker
from tests.conftest import open_form, valid_answers


def send_mail(runner):
    return runner.invoke(args=["send-mail"])


def notifications(app) -> list[Notification]:
    with app.app_context():
        return db.session.execute(db.select(Notification).order_by(Notification.id)).scalars().all()


def make_everything_due(app):
    """Skip the backoff wait, as if the retry time had come."""
    with app.app_context():
        db.session.execute(db.update(Notification).values(next_attempt_at=utcnow()))
        db.session.commit()


def by_recipient(messages, address):
    return [m for m in messages if address in m["To"]]


def test_clinic_and_patient_emails_reach_the_smtp_server(app, smtp, submit, runner):
    submit()
    result = send_mail(runner)
    assert result.exit_code == 0, result.output
    assert "Sent 2 notification(s); 0 failed" in result.output

    [clinic] = by_recipient(smtp.messages, "frontdesk@clinic.test")
    [patient] = by_recipient(smtp.messages, "maria@example.org")
    with app.app_context():
        reference = db.session.execute(db.select(ConsultationRequest.reference)).scalar_one()

    assert clinic["Reply-To"] == "maria@example.org"
    assert clinic["Subject"] == (f"Dry needling consultation request: Plantar fasciitis (heel or arch pain) "
                                 f"[{reference}]: no time chosen")
    assert clinic["From"] == "Juniper Physical Therapy <no-reply@clinic.test>"
    text = clinic.get_body(("plain",)).get_content()
    html = clinic.get_body(("html",)).get_content()
    # Flags first: before any contact details or the description.
    assert text.index("SAFETY SCREENING - 2 FLAGS RAISED") < text.index("Maria Lopez")
    assert "I take blood thinners or have a bleeding disorder" in text
    assert "I am afraid of needles or have fainted with them" in text
    for answer in ["(541) 555-0123", "Phone call", "Ankle or foot", "Left", "3 to 12 months", "Pain now (0 to 10):      7",
                   "Sharp heel pain", "Tuesday, Thursday", "Morning"]:
        assert answer in text, answer
    assert html.index("Safety screening: 2 flags raised") < html.index("Maria Lopez")

    assert patient["Subject"].startswith(f"We received your consultation request [{reference}]")
    assert "Reply-To" not in patient


def test_patient_acknowledgement_carries_no_health_details(smtp, submit, runner):
    submit(condition="other", condition_other="Jumper's knee", description="Knee-Specific-Words")
    send_mail(runner)
    [patient] = by_recipient(smtp.messages, "maria@example.org")
    whole = patient.as_string()
    body = patient.get_body(("plain",)).get_content()
    assert "JPT-" in body and "(555) 010-0199" in body and "within one working day" in body
    for detail in ["Knee-Specific-Words", "Jumper", "knee", "Something else", "blood thinners", "needle",
                   "Ankle", "heel", "pain level", "Plantar"]:
        assert detail.lower() not in whole.lower(), detail


def test_everything_the_patient_typed_is_escaped_in_the_html(smtp, submit, runner):
    submit(name='<img src=x onerror="alert(1)">', description="<script>alert('x')</script> & more",
           condition="other", condition_other="<b>bold</b>")
    send_mail(runner)
    [clinic] = by_recipient(smtp.messages, "frontdesk@clinic.test")
    html = clinic.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    # The plain-text part keeps the words as typed.
    assert "<script>alert('x')</script> & more" in clinic.get_body(("plain",)).get_content()


def test_no_input_adds_a_header_or_a_recipient(app, smtp, client, runner):
    attempts = [
        {"email": "maria@example.org\nBcc: victim@example.com"},
        {"email": "maria@example.org,victim@example.com"},
        {"name": "Maria\r\nBcc: victim@example.com"},
        {"condition_other": "x\r\nBcc: victim@example.com", "condition": "other"},
    ]
    for changes in attempts:
        response = client.post("/consultation", data={**open_form(client), **valid_answers(**changes)})
        assert response.status_code == 200, changes
    # A name that merely looks like a header, on one line, is harmless text.
    client.post("/consultation", data={**open_form(client), **valid_answers(name="Bcc: victim@example.com")})
    send_mail(runner)
    recipients = {rcpt for envelope in smtp.handler.envelopes for rcpt in envelope.rcpt_tos}
    assert recipients == {"frontdesk@clinic.test", "maria@example.org"}
    for message in smtp.messages:
        assert message["Bcc"] is None


def test_several_clinic_addresses_each_get_the_notification(make_app, smtp):
    app = make_app(CLINIC_EMAIL=["frontdesk@clinic.test", "therapists@clinic.test"])
    client = app.test_client()
    client.post("/consultation", data={**open_form(client), **valid_answers()})
    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    recipients = {rcpt for envelope in smtp.handler.envelopes for rcpt in envelope.rcpt_tos}
    assert {"frontdesk@clinic.test", "therapists@clinic.test"} <= recipients


def test_mail_server_down_then_back_delivers_exactly_once(app, smtp, submit, runner):
    smtp.stop()
    assert submit().status_code == 303  # the patient is not affected

    down = send_mail(runner)
    assert down.exit_code == 1
    assert "0 notification(s); 2 failed" in down.output
    first_ids = [n.message_id for n in notifications(app)]
    assert all(n.attempts == 1 and n.status == "pending" and "ConnectionRefused" in n.last_error
               for n in notifications(app))

    smtp.start_again()
    with app.app_context():
        not_yet = deliver_due()  # the automatic sender is still backing off: nothing due, nothing sent
    assert not_yet.undelivered == 0 and not_yet.sent == [] and smtp.messages == []

    make_everything_due(app)
    back = send_mail(runner)
    assert back.exit_code == 0, back.output
    assert len(smtp.messages) == 2
    assert all(n.status == "sent" and n.attempts == 2 for n in notifications(app))
    # One Message-ID per email, kept across the retry.
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(first_ids)

    make_everything_due(app)
    again = send_mail(runner)
    assert again.exit_code == 0 and "Sent 0" in again.output
    assert len(smtp.messages) == 2


def test_a_refused_address_waits_for_staff_instead_of_retrying_forever(app, smtp, submit, runner):
    smtp.handler.refuse.add("typo@example.org")
    submit(email="typo@example.org")
    result = send_mail(runner)
    assert result.exit_code == 1
    assert "1 had their address refused" in result.output
    assert [m["To"] for m in smtp.messages] == ["frontdesk@clinic.test"]  # the clinic still hears
    clinic, patient = notifications(app)
    assert clinic.status == "sent"
    assert patient.status == "refused" and "550" in patient.last_error

    make_everything_due(app)
    again = send_mail(runner)
    assert "Sent 0" in again.output and len(smtp.messages) == 1  # not retried by itself
    assert "1 notification(s) are waiting in the outbox in all." in again.output


def test_backoff_grows_between_failed_attempts(app, smtp, submit, runner):
    smtp.stop()
    submit()
    gaps = []
    for _ in range(3):
        before = utcnow()
        send_mail(runner)
        [clinic, _] = notifications(app)
        gaps.append((clinic.next_attempt_at - before).total_seconds())
        make_everything_due(app)
    assert gaps[0] < gaps[1] < gaps[2]
    assert 25 < gaps[0] < 40


def test_a_claimed_notification_is_not_sent_by_a_second_sender(app, smtp, submit):
    submit()
    smtp.handler.release.clear()  # hold the first sender inside DATA
    results = {}

    def first_sender():
        with app.app_context():
            results["first"] = deliver_due()

    thread = threading.Thread(target=first_sender)
    thread.start()
    assert smtp.handler.received.wait(5)
    with app.app_context():
        results["second"] = deliver_due()  # runs while the first holds the claims
    smtp.handler.release.set()
    thread.join(10)

    assert results["second"].sent == [] and results["second"].busy == 2
    assert len(results["first"].sent) == 2
    assert len(smtp.messages) == 2


def test_a_sender_whose_claim_lapsed_does_not_send(app, smtp, submit):
    """If a slow sender's lease ran out and another took the email over, the first one skips it."""
    from booking.outbox.claims import claim_batch, holds, renew_claims

    submit()
    with app.app_context():
        first, second = db.session.execute(db.select(Notification.id).order_by(Notification.id)).scalars().all()
        batch = claim_batch(utcnow(), None)
        assert batch.ids == [first, second]
        assert claim_batch(utcnow(), None).ids == []  # held: a second sender takes nothing
        db.session.execute(db.update(Notification).where(Notification.id == first)
                           .values(claim_token="someone-else"))
        db.session.commit()
        assert renew_claims(batch.token) == {second}
        assert not holds(db.session.get(Notification, first), batch.token)
        assert renew_claims("never-claimed") == set()


def test_a_mail_server_that_never_answers_cannot_hang_delivery(make_app):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never says a word
    port = silent.getsockname()[1]
    try:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=1)
        client = app.test_client()
        client.post("/consultation", data={**open_form(client), **valid_answers()})
        started = time.monotonic()
        result = app.test_cli_runner().invoke(args=["send-mail"])
        assert time.monotonic() - started < 10
        assert result.exit_code == 1
        assert all("timed out" in n.last_error.lower() for n in notifications(app))
    finally:
        silent.close()


def test_a_slow_mail_server_does_not_slow_the_patient(make_app, smtp):
    """With the background worker on, the patient's redirect comes back while SMTP is still stalled."""
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    client = app.test_client()
    form = {**open_form(client), **valid_answers()}
    smtp.handler.release.clear()
    response = client.post("/consultation", data=form)
    assert response.status_code == 303
    assert smtp.handler.received.wait(5), "the worker should have started delivering"
    assert smtp.messages == []  # the server is still stalling, yet the patient already has the redirect
    smtp.handler.release.set()
    deadline = time.monotonic() + 10
    while len(smtp.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(smtp.messages) == 2
    while any(n.status != "sent" for n in notifications(app)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(n.status == "sent" for n in notifications(app))


def test_a_stopped_worker_thread_ends_and_stays_ended(make_app, smtp):
    """What the tests' app fixture does when a test ends: no thread polls on for an app that is gone."""
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    wake_outbox_worker(app)
    worker = app.extensions["outbox_worker"]
    assert worker.thread.is_alive()
    stop_outbox_worker(app)
    assert not worker.thread.is_alive()
    wake_outbox_worker(app)  # a late wake-up starts a thread that ends at once
    worker.thread.join(5)
    assert not worker.thread.is_alive()


def test_without_a_mail_server_emails_are_written_as_files(make_app, tmp_path, caplog):
    app = make_app(MAIL_SERVER="")
    client = app.test_client()
    client.post("/consultation", data={**open_form(client), **valid_answers()})
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    contents = b"".join(f.read_bytes() for f in files)
    assert b"To: frontdesk@clinic.test" in contents and b"To: maria@example.org" in contents
    assert all(n.status == "sent" for n in notifications(app))
