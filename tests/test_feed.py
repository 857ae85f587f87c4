"""A practitioner's private iCal feed: for calendar apps without a login, revocable, and free of health details."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from booking.appointments.operations.practitioners import new_feed_token, revoke_feed_token
from booking.extensions import db
from booking.models import Practitioner
from booking.states import AppointmentStatus
from tests.factories import make_appointment_at, make_practitioner, make_request

NEW_YORK = ZoneInfo("America/New_York")
# 8:00 on Monday 15 March 2027 in New York (EDT, UTC-4): "today" began at 04:00 UTC.
NOW = datetime(2027, 3, 15, 12)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def feed(clock, app):
    """Avery's feed token and the references her feed must show, with appointments it must not."""
    with app.app_context():
        avery = make_practitioner("Avery Lee")
        sam = make_practitioner("Sam Ortiz")
        shown = {}
        for status, start in [(AppointmentStatus.HELD, datetime(2027, 3, 15, 4)),  # midnight local
                              (AppointmentStatus.OFFERED, datetime(2027, 3, 16, 13)),
                              (AppointmentStatus.CONFIRMED, datetime(2027, 4, 2, 18, 30))]:
            appointment = make_appointment_at(avery, start, status=status)
            shown[appointment.consultation_request.reference] = start
        hidden = [
            make_appointment_at(avery, datetime(2027, 3, 15, 3, 30)),  # 23:30 yesterday, local
            make_appointment_at(avery, datetime(2027, 3, 17, 13), status=AppointmentStatus.CANCELLED),
            make_appointment_at(avery, datetime(2027, 3, 18, 13), status=AppointmentStatus.RELEASED),
            make_appointment_at(sam, datetime(2027, 3, 16, 13)),
        ]
        token = new_feed_token(avery)
        db.session.commit()
        return token, shown, [a.consultation_request.reference for a in hidden]


def test_the_feed_needs_no_login_and_carries_only_references(app, client, feed):
    token, shown, hidden = feed
    response = client.get(f"/staff/feeds/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert {str(e["SUMMARY"]) for e in events} == {f"Consultation {reference}" for reference in shown}
    for event in events:
        reference = str(event["SUMMARY"]).removeprefix("Consultation ")
        start = event["DTSTART"]
        assert start.params["TZID"] == "America/New_York"
        assert start.dt.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == shown[reference]
        assert (event["DTEND"].dt - start.dt).total_seconds() == 30 * 60
        assert set(event) <= {"UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"}
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York"

    body = response.get_data(as_text=True)
    for reference in hidden:
        assert reference not in body
    with app.app_context():
        maria = make_request(notifications=False)  # the same answers every appointment's request holds
        details = [maria.name, maria.email, maria.phone, maria.description, maria.condition, *maria.screening_flags]
    for detail in details:
        assert detail.lower() not in body.lower()


def test_the_time_of_day_is_right_either_side_of_the_clock_change(app, client, clock):
    """9:00 in New York is 13:00 UTC before the 7 November 2027 change and 14:00 UTC after; the feed says 9:00."""
    with app.app_context():
        avery = make_practitioner("Avery Lee")
        make_appointment_at(avery, datetime(2027, 11, 5, 13))  # Friday before the autumn change
        make_appointment_at(avery, datetime(2027, 11, 8, 14))  # Monday after it
        token = new_feed_token(avery)
        db.session.commit()
    events = Calendar.from_ical(client.get(f"/staff/feeds/{token}.ics").data).walk("VEVENT")
    assert sorted((e["DTSTART"].dt.date().isoformat(), e["DTSTART"].dt.strftime("%H:%M")) for e in events) == [
        ("2027-11-05", "09:00"), ("2027-11-08", "09:00")]


def test_a_revoked_or_unknown_token_is_404(app, client, feed):
    token, _, _ = feed
    assert client.get("/staff/feeds/not-a-token.ics").status_code == 404
    assert client.get(f"/staff/feeds/{token[:-1]}.ics").status_code == 404
    with app.app_context():
        avery = db.session.execute(db.select(Practitioner).filter_by(name="Avery Lee")).scalar_one()
        replacement = new_feed_token(avery)
        avery_id = avery.id
        db.session.commit()
    assert client.get(f"/staff/feeds/{token}.ics").status_code == 404  # the old address stops working
    assert client.get(f"/staff/feeds/{replacement}.ics").status_code == 200
    with app.app_context():
        revoke_feed_token(db.session.get(Practitioner, avery_id))
        db.session.commit()
    gone = client.get(f"/staff/feeds/{replacement}.ics")
    assert gone.status_code == 404
    assert "BEGIN:VCALENDAR" not in gone.get_data(as_text=True)


def test_a_practitioner_without_a_feed_cannot_be_reached_by_an_empty_token(app, client):
    with app.app_context():
        make_practitioner("Avery Lee")
    assert client.get("/staff/feeds/.ics").status_code == 404
    assert client.get("/staff/feeds/None.ics").status_code == 404
