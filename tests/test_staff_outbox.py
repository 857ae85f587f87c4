"""The staff outbox page: emails that could not be delivered, and "Retry now"."""

from booking.extensions import db
from booking.models import Notification
from tests.factories import make_request


def test_outbox_page_shows_failures_and_retries_now(app, smtp, desk, runner):
    smtp.stop()
    with app.app_context():
        reference = make_request().reference
    runner.invoke(args=["send-mail"])
    page = desk.get("/staff/outbox").get_data(as_text=True)
    assert reference in page and "ConnectionRefusedError" in page and "Retry now" in page
    smtp.start_again()
    with app.app_context():
        ids = db.session.execute(db.select(Notification.id)).scalars().all()
    for notification_id in ids:
        retry = f"/staff/outbox/{notification_id}/retry"
        assert desk.post_form(retry, page="/staff/outbox").status_code == 303
    assert runner.invoke(args=["send-mail"]).exit_code == 0  # due now, not after the backoff
    assert len(smtp.messages) == 2
    assert "Every email has been delivered." in desk.get("/staff/outbox").get_data(as_text=True)


def test_outbox_page_shows_a_refused_address_and_retries_it(app, smtp, desk, runner):
    smtp.handler.refuse.add("typo@example.org")
    with app.app_context():
        reference = make_request(email="typo@example.org").reference
    runner.invoke(args=["send-mail"])
    page = desk.get("/staff/outbox").get_data(as_text=True)
    assert "Address refused" in page and reference in page
    with app.app_context():
        refused = db.session.execute(db.select(Notification).filter_by(status="refused")).scalar_one()
    smtp.handler.refuse.clear()  # say the patient's mailbox now exists
    desk.post_form(f"/staff/outbox/{refused.id}/retry", page="/staff/outbox")
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    assert [m["To"] for m in smtp.messages] == ["frontdesk@clinic.test", "typo@example.org"]
