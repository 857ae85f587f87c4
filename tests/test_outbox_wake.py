"""The in-process sender is woken by every commit that queued mail, whichever code committed it: no feature
calls the outbox to wake it (booking/outbox/queue.py marks the session, worker.py listens for the commit)."""

import time
from collections import Counter

from booking.extensions import db
from booking.models import ConsultationRequest, Notification
from booking.outbox.queue import enqueue
from tests.factories import make_request


def test_mail_queued_by_a_staff_style_commit_arrives_without_waiting_for_the_poll(make_app, smtp):
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)  # only a wake-up can bring it this hour
    with app.app_context():
        consultation = make_request(notifications=False)
    assert app.extensions["outbox_worker"].thread is None  # nothing has started the sender yet
    with app.test_request_context("/staff/requests/x/time/confirm", method="POST"):
        # What a staff action does: its operation queues the email, the view commits once.
        enqueue("patient_acknowledgement", consultation_request=db.session.merge(consultation))
        db.session.commit()
    assert smtp.handler.received.wait(5), "the commit should have woken the sender"
    worker = app.extensions["outbox_worker"]
    worker.stop()  # finishes the pass in hand
    assert [m["To"] for m in smtp.messages] == ["maria@example.org"]
    with app.app_context():
        assert db.session.scalars(db.select(Notification.status)).all() == ["sent"]


def test_a_rolled_back_enqueue_or_a_commit_without_mail_wakes_nothing(make_app, smtp):
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    with app.test_request_context("/staff", method="POST"):
        consultation = make_request(notifications=False)
        enqueue("patient_acknowledgement", consultation_request=consultation)
        db.session.rollback()
        consultation = db.session.merge(consultation)
        consultation.flagged = not consultation.flagged
        db.session.commit()
    assert app.extensions["outbox_worker"].thread is None


def test_a_full_batch_is_followed_by_the_next_at_once(make_app, smtp, monkeypatch):
    """The in-process sender drains as send-mail --watch does: batch after batch while they come full."""
    from booking.outbox import worker as outbox_worker

    monkeypatch.setattr(outbox_worker, "BATCH_SIZE", 2)
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    with app.test_request_context("/staff", method="POST"):
        for _ in range(3):
            make_request(notifications=False)
        for consultation in db.session.scalars(db.select(ConsultationRequest)):
            enqueue("patient_acknowledgement", consultation_request=consultation)
            enqueue("clinic_new_request", consultation_request=consultation)
        db.session.commit()
    worker = app.extensions["outbox_worker"]
    deadline_ok = _wait(lambda: len(smtp.messages) == 6, 10)
    worker.stop()
    assert deadline_ok, f"{len(smtp.messages)} of 6 arrived"


def _queue(app, requests: int) -> None:
    """`requests` requests' two emails each, queued outside any request (no request has begun yet)."""
    with app.app_context():
        for _ in range(requests):
            consultation = make_request(notifications=False)
            enqueue("patient_acknowledgement", consultation_request=consultation)
            enqueue("clinic_new_request", consultation_request=consultation)
        db.session.commit()


def test_in_a_quiet_process_the_queue_goes_in_one_full_batch_over_one_connection(make_app, smtp):
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    _queue(app, 15)
    with app.test_request_context("/staff", method="POST"):  # a commit that wakes it, with no request begun
        enqueue("patient_acknowledgement", consultation_request=db.session.get(ConsultationRequest, 1))
        db.session.commit()
    worker = app.extensions["outbox_worker"]
    arrived = _wait(lambda: len(smtp.messages) == 31, 10)
    worker.stop()
    assert arrived, f"{len(smtp.messages)} of 31 arrived"
    assert len(set(smtp.handler.peers)) == 1


def test_while_requests_keep_coming_mail_waits_out_the_hold_then_goes_in_small_batches(make_app, smtp, monkeypatch):
    """Patients first: a busy process holds its mail back for BUSY_HOLD_SECONDS, and one that never goes
    quiet still sends everything after that, a small batch per turn."""
    from booking.outbox import worker as outbox_worker

    monkeypatch.setattr(outbox_worker, "BUSY_HOLD_SECONDS", 1.0)
    monkeypatch.setattr(outbox_worker, "BUSY_BATCH_SIZE", 2)  # three turns for six emails
    monkeypatch.setattr(outbox_worker, "BUSY_SHARE", 0.5)  # and short waits between them
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    _queue(app, 3)
    client = app.test_client()
    first_request = time.monotonic()
    first_email = None
    while len(smtp.messages) < 6 and time.monotonic() < first_request + 30:
        assert client.get("/healthz").status_code == 200  # the first request starts the sender
        if first_email is None and smtp.messages:
            first_email = time.monotonic()
        # A request every 10 ms or so keeps the process busy (QUIET_SECONDS is 0.25). The pause stands for
        # a server's wait on its socket: a loop that never let go of the GIL would starve this process's other
        # threads, the sender and the SMTP server alike, of everything the test is about.
        time.sleep(0.005)
    app.extensions["outbox_worker"].stop()
    assert len(smtp.messages) == 6, "the sender must not starve while requests keep coming"
    assert first_email is not None and first_email - first_request >= 1.0, "mail went during the hold"
    per_connection = Counter(smtp.handler.peers)
    assert len(per_connection) == 3 and set(per_connection.values()) == {2}, per_connection
    with app.app_context():
        assert set(db.session.scalars(db.select(Notification.status))) == {"sent"}


def test_a_quiet_batch_handed_back_whole_when_a_request_arrives_still_goes_out(make_app, smtp, monkeypatch):
    """A request that begins right after a quiet batch is claimed hands the whole batch back unsent; the
    sender goes on in turns rather than sleeping until the next poll (an hour here) with the mail due."""
    from booking.outbox import worker as outbox_worker

    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    worker = app.extensions["outbox_worker"]
    real_deliver_due = outbox_worker.deliver_due
    calls = []

    def a_request_begins_during_the_first_pass(**kwargs):
        if not calls:
            worker.request_started()  # the quiet batch's stopping() is now true before its first email
        report = real_deliver_due(**kwargs)
        calls.append(report)
        return report

    monkeypatch.setattr(outbox_worker, "deliver_due", a_request_begins_during_the_first_pass)
    with app.test_request_context("/es/appointment/x/consent", method="POST"):
        enqueue("patient_acknowledgement", consultation_request=make_request(notifications=False))
        db.session.commit()
    arrived = smtp.handler.received.wait(10)
    worker.stop()
    assert calls and calls[0].handed_back == 1 and not calls[0].sent
    assert arrived, "the handed-back email waited for the next poll"
    with app.app_context():
        assert db.session.scalars(db.select(Notification.status)).all() == ["sent"]


def test_a_flask_command_that_queues_mail_starts_no_sender_thread(make_app, smtp):
    """A command's process may end mid-batch; its mail waits in the outbox for the real sender."""
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    with app.app_context():
        enqueue("patient_acknowledgement", consultation_request=make_request(notifications=False))
        db.session.commit()
    assert app.extensions["outbox_worker"].thread is None
    with app.app_context():
        assert db.session.scalars(db.select(Notification.status)).all() == ["pending"]


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
