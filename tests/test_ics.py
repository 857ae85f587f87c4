"""The .ics files patients receive, read back with the icalendar library: a calendar app must accept them."""

from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Appointment
from tests.appointment_helpers import (NEXT_WEEK, assert_no_health_words, book_next_week, calendar_of, event_of,
                                       manage_path, send_mail, to, with_subject)
from tests.appointment_helpers import clock  # noqa: F401 (a fixture)
from tests.client import hidden_fields
from tests.factories import first_free_time, make_confirmed_appointment, make_practitioner

PATIENT = "maria@example.org"
CLINIC = "frontdesk@clinic.test"


@pytest.fixture
def booked(app, clock):
    with app.app_context():
        appointment = book_next_week()
        return appointment.id, manage_path(appointment)


def confirmations(smtp):
    return with_subject(to(smtp.messages, PATIENT), "is confirmed")


def test_confirmation_invite_is_a_request_in_the_clinic_zone_with_no_health_details(app, smtp, runner, booked):
    send_mail(runner)
    [confirmation] = confirmations(smtp)
    calendar = calendar_of(confirmation)
    assert calendar["METHOD"] == "REQUEST"
    event = event_of(calendar)
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and str(start.tzinfo) == "America/New_York"
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert (start.hour, start.minute) == (9, 0) and start.date() == NEXT_WEEK
    assert start.astimezone(UTC) == datetime(2027, 3, 8, 14, 0, tzinfo=UTC)
    assert event.decoded("DTEND") - start == timedelta(minutes=app.config["CONSULTATION_MINUTES"])
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "America/New_York"
    assert int(event["SEQUENCE"]) >= 0 and str(event["UID"])
    raw = [p for p in confirmation.iter_attachments()][0].get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in raw and "DTSTART;TZID=America/New_York:20270308T090000" in raw
    assert_no_health_words(confirmation.as_string())
    assert "Maria" in confirmation.get_body(("plain",)).get_content()  # addressed to her, by name only


def test_an_invite_after_the_clocks_change_keeps_its_wall_time(app, smtp, runner, clock):
    # Sunday 14 March 2027 the clocks go forward in New York: a 9:00 start on the 15th is 13:00 UTC, not 14:00.
    with app.app_context():
        practitioner = make_practitioner()
        make_confirmed_appointment(practitioner=practitioner,
                         start=first_free_time(practitioner.id, NEXT_WEEK + timedelta(days=7)).start)
    send_mail(runner)
    event = event_of(calendar_of(confirmations(smtp)[0]))
    start = event.decoded("DTSTART")
    assert (start.month, start.day, start.hour) == (3, 15, 9)
    assert start.astimezone(UTC).hour == 13


def test_a_cancellation_removes_the_same_event_with_a_higher_sequence(app, client, smtp, runner, booked):
    _, path = booked
    send_mail(runner)
    confirmed = event_of(calendar_of(confirmations(smtp)[0]))
    client.post(path + "/cancel", data=hidden_fields(client.get(path + "/cancel").get_data(as_text=True), path + "/cancel"))
    send_mail(runner)
    [cancellation] = with_subject(to(smtp.messages, PATIENT), "is cancelled")
    calendar = calendar_of(cancellation)
    assert calendar["METHOD"] == "CANCEL"
    event = event_of(calendar)
    assert str(event["UID"]) == str(confirmed["UID"])
    assert int(event["SEQUENCE"]) > int(confirmed["SEQUENCE"])
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTART") == confirmed.decoded("DTSTART")
    assert_no_health_words(cancellation.as_string())
    [notice] = to(smtp.messages, CLINIC)[-1:]
    assert "cancelled" in notice["Subject"].lower() and "Monday 8 March, 9:00 am" in notice.as_string()


def test_a_change_sends_an_update_with_the_same_uid_and_a_higher_sequence(app, client, smtp, runner, booked):
    appointment_id, path = booked
    send_mail(runner)
    first = event_of(calendar_of(confirmations(smtp)[0]))
    with app.app_context():
        new_time = first_free_time(None, NEXT_WEEK + timedelta(days=1))
    response = client.post_form(path + "/change", {"slot": new_time.value}, page=path + "/change")
    assert response.status_code == 303
    send_mail(runner)
    updates = confirmations(smtp) + with_subject(to(smtp.messages, PATIENT), "has moved")
    assert len(updates) == 2
    update = event_of(calendar_of(updates[1]))
    assert calendar_of(updates[1])["METHOD"] == "REQUEST"
    assert str(update["UID"]) == str(first["UID"])
    assert int(update["SEQUENCE"]) > int(first["SEQUENCE"])
    assert update.decoded("DTSTART").astimezone(UTC) == new_time.start
    assert_no_health_words(updates[1].as_string())
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).sequence == int(update["SEQUENCE"])


def test_every_patient_email_of_the_journey_is_free_of_health_details(app, client, smtp, runner, booked):
    _, path = booked
    send_mail(runner)
    client.post_form(path + "/cancel", page=path + "/cancel")
    send_mail(runner)
    patient_mail = to(smtp.messages, PATIENT)
    assert len(patient_mail) >= 2
    for message in patient_mail:
        assert_no_health_words(message.as_string())
        for part in message.iter_attachments():
            assert_no_health_words(part.get_payload(decode=True).decode())
