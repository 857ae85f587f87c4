"""An operator's send-mail after a mail outage delivers what is pending now, whatever the backoff."""

from booking.extensions import db
from booking.models import Notification
from booking.outbox.delivery import deliver_due


def by_recipient(smtp, address):
    return [m for m in smtp.messages if address in m["To"]]


def test_send_mail_by_hand_after_an_outage_delivers_everything_once(app, smtp, submit, runner):
    smtp.stop()
    assert submit().status_code == 303
    with app.app_context():
        failed = deliver_due()  # the automatic sender tried while the server was down
        assert len(failed.failed) == 2
        waiting = db.session.execute(db.select(Notification)).scalars().all()
        assert all(n.status == "pending" and n.attempts == 1 for n in waiting)
    smtp.start_again()

    first = runner.invoke(args=["send-mail"])
    assert first.exit_code == 0, first.output
    assert "Sent 2 notification(s); 0 failed" in first.output
    assert "0 notification(s) are waiting in the outbox in all." in first.output
    assert len(by_recipient(smtp, "frontdesk@clinic.test")) == 1
    assert len(by_recipient(smtp, "maria@example.org")) == 1

    second = runner.invoke(args=["send-mail"])
    assert second.exit_code == 0, second.output
    assert "Sent 0 notification(s)" in second.output
    assert len(by_recipient(smtp, "frontdesk@clinic.test")) == 1
    assert len(by_recipient(smtp, "maria@example.org")) == 1
    assert len(smtp.messages) == 2


def test_send_mail_says_what_still_waits_and_when_the_next_automatic_try_is(app, smtp, submit, runner):
    smtp.stop()
    submit()
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 1
    assert "2 notification(s) are waiting in the outbox in all." in result.output
    with app.app_context():
        next_try = db.session.execute(db.select(db.func.min(Notification.next_attempt_at))).scalar_one()
    from booking.clock import clinic_time

    with app.app_context():
        expected = clinic_time(next_try).strftime("%Y-%m-%d %H:%M %Z")
    assert f"Next automatic try: {expected}." in result.output
