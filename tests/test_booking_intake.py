"""The patient takes a real time on the form: free times by week, held with the request, never twice."""

import re
from datetime import datetime, timezone

import pytest
import time_machine

from booking.extensions import db
from booking.appointments.operations import TIME_TAKEN
from booking.models import Appointment, BookedCell, ConsultationRequest, Notification, Practitioner, WaitlistEntry
from booking.states import AppointmentStatus
from tests.conftest import valid_answers

# Wednesday 10 March 2027, 7:00 am in New York: with 12 hours' notice the first bookable day is Thursday.
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)
THU_9AM = "2027-03-11T09:00:00-05:00"
SLOT = re.compile(r'name="slot" type="radio" value="([^"]+)"')


@pytest.fixture(autouse=True)
def clinic_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def add_practitioner(app, name="Avery Lee", hours="mon-fri 09:00-12:00"):
    with app.app_context():
        practitioner = Practitioner(name=name, hours=hours)
        db.session.add(practitioner)
        db.session.commit()
        return practitioner.id


def offered(page: str) -> list[str]:
    return [value for value in SLOT.findall(page) if value != "none"]


def send(client, **changes):
    return client.post_form("/consultation", valid_answers(**changes))


def test_the_form_offers_free_times_a_week_at_a_time_as_people_say_them(app, client):
    add_practitioner(app)
    page = client.get("/consultation").get_data(as_text=True)
    times = offered(page)
    # The week starts today (a start this evening would meet the notice): Thu, Fri, Mon, Tue have mornings.
    assert times[0] == THU_9AM and len(times) == 6 * 4
    assert '<span class="visually-hidden">Thursday 11 March, </span><span class="picker-time">9:00 am</span>' in page
    # The weekend is in the row of days, closed: a disabled day that says it has no times, and no heading.
    saturday = re.search(r'<input id="day-\d" name="day" type="radio" value="2027-03-13"([^>]*)>\s*<label[^>]*>(.*?)</label>', page)
    assert saturday and "disabled" in saturday.group(1) and "no times" in saturday.group(2)
    assert "<legend>Saturday 13 March</legend>" not in page and "<legend>Thursday 11 March</legend>" in page
    assert 'value="none"' in page and "None of these times suit me" in page
    later = re.search(r'<button type="submit" name="show_week" value="(2027-03-17)"[^>]*>Later week</button>', page)
    assert later, "a button to the later week, which sends the form"
    assert offered(client.get(f"/consultation?from={later.group(1)}").get_data(as_text=True))[0] == "2027-03-17T09:00:00-04:00"


def test_times_are_grouped_morning_afternoon_evening_with_the_practitioner_when_several_work(app, client):
    add_practitioner(app, "Avery Lee", "mon-fri 09:00-12:00,13:00-19:00")
    page = client.get("/consultation").get_data(as_text=True)
    thursday = page[page.index("<legend>Thursday 11 March</legend>"):page.index("<legend>Friday 12 March</legend>")]
    parts = re.findall(r'<p class="picker-part">(\w+)</p>', thursday)
    assert parts == ["Morning", "Afternoon", "Evening"]
    assert "picker-who" not in page  # one practitioner: no name on every time
    add_practitioner(app, "Blake Kim", "mon-fri 10:00-16:00")
    page = client.get("/consultation").get_data(as_text=True)
    assert re.search(r'<span class="picker-time">9:00 am</span><span class="picker-who">'
                     r'<span class="visually-hidden">, </span>Avery Lee</span>', page)
    assert re.search(r'<span class="picker-time">12:00 pm</span><span class="picker-who">'
                     r'<span class="visually-hidden">, </span>Blake Kim</span>', page)  # Avery's lunch hour


def test_a_nine_oclock_start_stays_nine_oclock_across_the_spring_clock_change(app, client):
    add_practitioner(app)
    times = offered(client.get("/consultation?from=2027-03-12").get_data(as_text=True))
    assert "2027-03-12T09:00:00-05:00" in times and "2027-03-15T09:00:00-04:00" in times


@pytest.mark.parametrize("asked, first", [("2020-01-01", THU_9AM), ("not-a-date", THU_9AM),
                                          ("2099-01-01", "2027-04-20T09:00:00-04:00")])
def test_from_is_held_inside_the_notice_and_horizon(app, client, asked, first):
    add_practitioner(app)
    response = client.get(f"/consultation?from={asked}")
    assert response.status_code == 200
    assert offered(response.get_data(as_text=True))[0] == first


def test_the_chosen_time_is_held_with_the_request_in_one_transaction(app, client):
    add_practitioner(app)
    response = send(client, slot=THU_9AM)
    assert response.status_code == 303
    sent = client.get("/consultation/sent").get_data(as_text=True)
    assert "Your time is held for you" in sent and "Thursday 11 March, 9:00 am" in sent
    with app.app_context():
        appointment = db.session.execute(db.select(Appointment)).scalar_one()
        assert appointment.status is AppointmentStatus.HELD
        assert appointment.starts_at == datetime(2027, 3, 11, 14, 0)  # stored in UTC
        cells = db.session.execute(db.select(BookedCell.starts_at)).scalars().all()
        assert len(cells) == 6 and min(cells) == appointment.starts_at
    assert THU_9AM not in offered(client.get("/consultation").get_data(as_text=True))


def test_the_second_patient_for_a_time_gets_the_form_back_with_every_answer_and_fresh_times(app, make_app):
    add_practitioner(app)
    first, second = app.test_client(), app.test_client()
    second_page = second.get("/consultation").get_data(as_text=True)
    assert THU_9AM in offered(second_page)
    assert send(first, slot=THU_9AM).status_code == 303
    response = second.post_form("/consultation", valid_answers(slot=THU_9AM, name="Second Patient"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert TIME_TAKEN in page
    assert 'value="Second Patient"' in page and "Sharp heel pain" in page
    assert THU_9AM not in offered(page) and "2027-03-11T09:30:00-05:00" in offered(page)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(ConsultationRequest.id))).scalar_one() == 1


def test_times_merge_across_practitioners_and_load_is_spread(app):
    avery = add_practitioner(app, "Avery Lee")
    blake = add_practitioner(app, "Blake Kim")
    clients = [app.test_client() for _ in range(3)]
    assert [send(c, slot=THU_9AM).status_code for c in clients[:2]] == [303, 303]
    assert TIME_TAKEN in send(clients[2], slot=THU_9AM).get_data(as_text=True)
    with app.app_context():
        who = sorted(db.session.execute(db.select(Appointment.practitioner_id)).scalars())
    assert who == sorted([avery, blake])


def test_a_patient_may_ask_for_a_particular_practitioner(app, client):
    add_practitioner(app, "Avery Lee", "mon-fri 09:00-12:00")
    blake = add_practitioner(app, "Blake Kim", "mon-fri 14:00-16:00")
    page = client.get(f"/consultation?practitioner={blake}").get_data(as_text=True)
    assert offered(page)[0] == "2027-03-11T14:00:00-05:00"
    assert send(client, slot="2027-03-11T14:00:00-05:00", practitioner=str(blake)).status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(Appointment.practitioner_id)).scalar_one() == blake


def test_showing_another_week_keeps_every_answer(app, client):
    add_practitioner(app)
    response = client.post_form("/consultation", valid_answers(name="Keep Me", show_week="2027-03-18"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Keep Me"' in page
    assert "There is a problem" not in page
    assert offered(page)[0] == "2027-03-18T09:00:00-04:00"


@pytest.mark.parametrize("slot, message", [
    (None, "Choose a time, or “None of these times suit me”."),
    ("2027-03-11T09:00:00", "Choose one of the times listed."),
    ("tuesday", "Choose one of the times listed."),
    ("2027-03-11T09:00:00-04:00", "Choose one of the times listed."),  # the wrong offset for that day
])
def test_a_missing_or_malformed_time_is_explained(app, client, slot, message):
    add_practitioner(app)
    response = send(client, slot=slot)
    assert response.status_code == 200 and message in response.get_data(as_text=True)


def test_a_time_outside_the_hours_is_never_booked(app, client):
    add_practitioner(app)
    response = send(client, slot="2027-03-11T03:00:00-05:00")
    assert TIME_TAKEN in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Appointment.id))).scalar_one() == 0


def test_none_of_these_goes_in_as_a_plain_request_and_may_join_the_waitlist(app, client):
    add_practitioner(app)
    assert send(client, slot="none", waitlist="y").status_code == 303
    assert "held for you" not in client.get("/consultation/sent").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Appointment.id))).scalar_one() == 0
        assert db.session.execute(db.select(db.func.count(WaitlistEntry.id))).scalar_one() == 1


@pytest.mark.parametrize("flags, status", [(["none"], AppointmentStatus.CONFIRMED),
                                           (["blood_thinners"], AppointmentStatus.HELD)])
def test_auto_confirm_confirms_only_requests_without_screening_flags(make_app, flags, status):
    app = make_app(BOOKING_AUTO_CONFIRM=True)
    add_practitioner(app)
    client = app.test_client()
    assert send(client, slot=THU_9AM, screening=flags).status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(Appointment.status)).scalar_one() is status
        kinds = sorted(db.session.execute(db.select(Notification.kind)).scalars())
    if status is AppointmentStatus.CONFIRMED:
        assert kinds == ["appointment_confirmed", "appointment_reminder", "clinic_new_request", "consent_reminder",
                         "patient_acknowledgement"]
        assert "Your consultation is confirmed" in client.get("/consultation/sent").get_data(as_text=True)
    else:
        assert kinds == ["clinic_new_request", "patient_acknowledgement"]


def test_the_acknowledgement_names_the_held_time_and_no_health_detail(app, client, smtp):
    add_practitioner(app)
    send(client, slot=THU_9AM)
    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    patient = next(m for m in smtp.messages if m["To"] == "maria@example.org")
    body = patient.get_body(("plain",)).get_content()
    assert "held for you: Thursday 11 March, 9:00 am" in body
    for health in ("heel", "Plantar", "blood thinners", "needle"):
        assert health.lower() not in body.lower()
