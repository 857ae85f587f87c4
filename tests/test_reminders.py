"""The day-before reminder: an outbox row, visible while it waits, sent once when due, never when not needed."""

from datetime import UTC, timedelta

import pytest

from booking.extensions import db
from booking.models import Appointment, Notification
from booking.outbox.delivery import deliver_due
from booking.states import AppointmentStatus, NotificationStatus
from tests.appointment_helpers import (NEXT_WEEK, assert_no_health_words, book_next_week, manage_path, send_mail, to,
                                       with_subject)
from tests.appointment_helpers import clock  # noqa: F401 (a fixture)
from tests.factories import first_free_time

PATIENT = "maria@example.org"
REMINDER = "appointment_reminder"


@pytest.fixture
def booked(app, clock):
    """Maria's confirmed consultation on Monday 8 March 2027 at 9:00 New York time (14:00 UTC)."""
    with app.app_context():
        appointment = book_next_week()
        return appointment.id, manage_path(appointment), appointment.starts_at.replace(tzinfo=UTC)


def reminders_sent(smtp) -> list:
    return with_subject(to(smtp.messages, PATIENT), "Reminder")


def reminder_rows(app) -> list[Notification]:
    with app.app_context():
        rows = db.session.execute(db.select(Notification).where(Notification.kind == REMINDER)
                                  .order_by(Notification.id)).scalars().all()
        db.session.expunge_all()
        return rows


def due_at(app, start):
    return start - timedelta(hours=app.config["REMINDER_HOURS_BEFORE"])


def test_reminder_waits_for_its_time_then_goes_once(app, smtp, runner, clock, booked):
    _, path, start = booked
    [row] = reminder_rows(app)
    assert row.send_after == due_at(app, start).replace(tzinfo=None)
    send_mail(runner)
    assert with_subject(to(smtp.messages, PATIENT), "is confirmed") and reminders_sent(smtp) == []

    clock.move_to(due_at(app, start) - timedelta(minutes=1))
    send_mail(runner)
    with app.app_context():
        assert deliver_due().sent == []  # the automatic sender waits too
    assert reminders_sent(smtp) == []

    clock.move_to(due_at(app, start) + timedelta(minutes=1))
    result = send_mail(runner)
    assert "Sent 1 notification(s)" in result.output
    [reminder] = reminders_sent(smtp)
    body = reminder.get_body(("plain",)).get_content()
    assert "Monday 8 March, 9:00 am" in body and path in body
    assert_no_health_words(reminder.as_string())

    send_mail(runner)
    clock.move_to(start - timedelta(hours=1))
    send_mail(runner)
    with app.app_context():
        deliver_due()
    assert len(reminders_sent(smtp)) == 1
    assert [r.status for r in reminder_rows(app)] == [NotificationStatus.SENT]


def test_a_scheduled_reminder_is_on_the_outbox_page(app, booked, desk):
    _, _, start = booked
    with app.app_context():
        reference = db.session.execute(db.select(Appointment)).scalar_one().consultation_request.reference
    response = desk.get("/staff/outbox")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    scheduled = page[page.index('<h2 id="scheduled-heading">'):]
    at = scheduled.index("appointment reminder")
    row = scheduled[max(0, at - 400):at + 400]
    assert reference in row
    assert "scheduled for 07 Mar, 09:00" in row  # the day before, on the clinic's clock
    waiting = page[:page.index('<h2 id="scheduled-heading">')]
    assert "appointment reminder" not in waiting  # apart from emails that failed or wait for a retry
    assert "Retry now" not in row


def test_the_automatic_sender_sends_a_due_reminder_too(app, smtp, clock, booked):
    _, _, start = booked
    clock.move_to(due_at(app, start) + timedelta(minutes=5))
    with app.app_context():
        report = deliver_due()
        assert len(report.sent) >= 1
        assert deliver_due().sent == []
    assert len(reminders_sent(smtp)) == 1


def test_a_reminder_that_fails_is_retried_not_lost(app, smtp, runner, clock, booked):
    _, _, start = booked
    send_mail(runner)
    smtp.stop()
    clock.move_to(due_at(app, start) + timedelta(minutes=1))
    assert runner.invoke(args=["send-mail"]).exit_code == 1
    [row] = reminder_rows(app)
    assert row.status is NotificationStatus.PENDING and row.attempts == 1
    smtp.start_again()
    send_mail(runner)
    assert len(reminders_sent(smtp)) == 1


def test_no_reminder_for_a_cancelled_appointment(app, client, smtp, runner, clock, booked):
    _, path, start = booked
    assert client.post_form(path + "/cancel", page=path + "/cancel").status_code == 303
    assert [r.status for r in reminder_rows(app)] == [NotificationStatus.WITHDRAWN]
    clock.move_to(due_at(app, start) + timedelta(minutes=1))
    send_mail(runner)
    assert reminders_sent(smtp) == []
    assert with_subject(to(smtp.messages, PATIENT), "is cancelled")


def test_a_reminder_left_pending_is_withdrawn_when_its_appointment_is_gone(app, smtp, runner, clock, booked):
    appointment_id, _, start = booked
    with app.app_context():  # cancelled by some path that forgot the reminder: the builder still refuses it
        db.session.get(Appointment, appointment_id).status = AppointmentStatus.CANCELLED
        db.session.commit()
    clock.move_to(due_at(app, start) + timedelta(minutes=1))
    send_mail(runner)
    assert reminders_sent(smtp) == []
    assert [r.status for r in reminder_rows(app)] == [NotificationStatus.WITHDRAWN]


def test_a_moved_appointment_is_reminded_once_at_its_new_time_only(app, client, smtp, runner, clock, booked):
    appointment_id, path, old_start = booked
    with app.app_context():
        new_time = first_free_time(None, NEXT_WEEK + timedelta(days=1))
    assert client.post_form(path + "/change", {"slot": new_time.value}, page=path + "/change").status_code == 303
    rows = reminder_rows(app)
    assert [r.status for r in rows] == [NotificationStatus.WITHDRAWN, NotificationStatus.PENDING]
    assert rows[1].send_after == due_at(app, new_time.start).replace(tzinfo=None)

    clock.move_to(due_at(app, old_start) + timedelta(minutes=1))
    send_mail(runner)
    assert reminders_sent(smtp) == []
    clock.move_to(due_at(app, new_time.start) + timedelta(minutes=1))
    send_mail(runner)
    send_mail(runner)
    [reminder] = reminders_sent(smtp)
    assert new_time.label in reminder.get_body(("plain",)).get_content()
    assert old_start != new_time.start
