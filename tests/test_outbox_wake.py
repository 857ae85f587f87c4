"""The in-process sender is woken by every commit that queued mail, whichever code committed it: no feature
calls the outbox to wake it (booking/outbox/queue.py marks the session, worker.py listens for the commit)."""

from booking.extensions import db
from booking.models import ConsultationRequest, Notification
from booking.outbox.queue import enqueue
from tests.factories import make_request


def test_mail_queued_by_a_staff_style_commit_arrives_without_waiting_for_the_poll(make_app, smtp):
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)  # only a wake-up can bring it this hour
    with app.app_context():
        consultation = make_request(notifications=False)
    assert "outbox_worker" not in app.extensions  # nothing has started the sender yet
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
    assert "outbox_worker" not in app.extensions


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


def test_a_flask_command_that_queues_mail_starts_no_sender_thread(make_app, smtp):
    """A command's process may end mid-batch; its mail waits in the outbox for the real sender."""
    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=3600)
    with app.app_context():
        enqueue("patient_acknowledgement", consultation_request=make_request(notifications=False))
        db.session.commit()
    assert "outbox_worker" not in app.extensions
    with app.app_context():
        assert db.session.scalars(db.select(Notification.status)).all() == ["pending"]


def _wait(condition, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
