"""A request's held time at the front desk: confirm it, offer another, release it; each a POST, each in the history."""

import logging
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from icalendar import Calendar
from playwright.sync_api import expect

from booking.appointments.queries import practitioners_free_at, week_of_times
from booking.appointments.links import manage_url
from booking.appointments.operations import TIME_TAKEN
from booking.appointments.slots import parse_slot_value
from booking.clock import clinic_zone
from booking.extensions import db
from booking.formatting import slot_label
from booking.models import Appointment, BookedCell, ConsultationRequest, Notification, Practitioner, RequestEvent
from booking.staff.operations.accounts import create_staff
from booking.staff.views.appointments import NO_TIME, NOT_A_TIME
from tests.fixtures.staff import set_up_two_step_in_browser
from tests.factories import PASSWORD, make_appointment, make_practitioner, make_request
from tests.fixtures.staff import log_in
from tests.appointment_helpers import clock  # noqa: F401 (a fixture)
from tests.test_browser import assert_accessible, assert_no_sideways_scroll, browser, live_app  # noqa: F401

# Every test on the shared fixed Monday morning, ticking on, from before sign-in: `held` takes the first free
# time, and later checks of it must not meet the edge of the notice period, as the real clock would in seconds.
pytestmark = pytest.mark.usefixtures("clock")

# What Maria told the clinic about her health (tests/factories.make_request): none of it may reach her emails.
HEALTH_WORDS = ["heel", "Heel", "plantar", "Plantar", "fasciitis", "Sharp", "blood", "thinner", "needle fear",
                "Needle", "condition", "Condition", "description", "screening", "Screening", "ankle", "Ankle"]
SLOT_RADIO = re.compile(r'name="slot" type="radio" value="([^"]+)"')


def stand_in_for_manage_page(app) -> None:
    """Patients' emails link to appointments.manage; until that page is on this branch, a bare route lets
    manage_url build the same /appointment/<token> link. Once the real page exists, this does nothing."""
    if "appointments.manage" not in app.view_functions:
        app.add_url_rule("/appointment/<token>", "appointments.manage", lambda token: "")


@pytest.fixture
def app(make_app):
    """The app (mailing the test's SMTP server), with the manage link buildable."""
    app = make_app()
    stand_in_for_manage_page(app)
    return app


def free_values(app, practitioner_id=None) -> list[str]:
    """The slot values the picker offers right now, in order."""
    with app.app_context():
        return [time.value for _, times in week_of_times(None, practitioner_id).days for time in times]


@pytest.fixture
def held(app, staff):
    """Maria's request holding the first free time with Avery Lee: its reference and that start's slot value."""
    with app.app_context():
        practitioner_id = make_practitioner("Avery Lee").id
    first = free_values(app)[0]
    with app.app_context():
        consultation = make_request(notifications=False)
        make_appointment(parse_slot_value(first, clinic_zone()), consultation=consultation,
                         practitioner=db.session.get(Practitioner, practitioner_id))
        return consultation.reference, first


def the_appointment(app) -> Appointment:
    return db.session.execute(db.select(Appointment)).scalar_one()


def cell_starts(app) -> list:
    with app.app_context():
        return sorted(db.session.execute(db.select(BookedCell.starts_at)).scalars())


def label_of(app, value: str) -> str:
    with app.app_context():
        return slot_label(parse_slot_value(value, clinic_zone()), clinic_zone())


def patient_emails(smtp, subject: str) -> list:
    return [m for m in smtp.messages if m["To"] == "maria@example.org" and subject in m["Subject"]]


def assert_no_health_details(message) -> None:
    whole = message.as_string()
    for part in message.walk():
        if part.get_content_maintype() == "text" or part.get_content_type() == "text/calendar":
            whole += part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()
    for word in HEALTH_WORDS:
        assert word not in whole, word


def history(app, reference: str) -> list[tuple[str, str]]:
    with app.app_context():
        consultation = db.session.execute(db.select(ConsultationRequest).filter_by(reference=reference)).scalar_one()
        return [(event.note, event.staff.email) for event in consultation.events]


def test_the_inbox_and_the_request_page_show_the_held_time(app, desk, held):
    reference, value = held
    label = label_of(app, value)
    inbox = desk.get("/staff").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<td[^>]*><a[^>]*>{reference}</a>.*?</tr>", inbox, re.S).group(0)
    assert label in row and "Held for the clinic to confirm" in row
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    section = page[page.index("Consultation time"):page.index("Your details") if "Your details" in page else None]
    assert label in section and "Avery Lee" in section and "Held for the clinic to confirm" in section
    for action in ["Confirm this time", "Offer another time", "Release the time"]:
        assert action in section, action


def test_confirm_sends_one_confirmation_with_an_invite_and_no_health_details(app, desk, held, smtp, caplog):
    reference, value = held
    page = f"/staff/requests/{reference}"
    with caplog.at_level(logging.INFO):
        confirmed = desk.post_form(f"{page}/time/confirm", page=page)
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith(page)
    about_it = [r.getMessage() for r in caplog.records if reference in r.getMessage()]
    assert len(about_it) == 1 and "confirmed" in about_it[0]
    assert not any("Maria" in r.getMessage() or "heel" in r.getMessage() for r in caplog.records)
    shown = desk.get(page).get_data(as_text=True)
    assert f"Confirmed {label_of(app, value)}." in shown
    assert "Confirm this time" not in shown  # a confirmed time has nothing left to confirm

    # A second press (another tab, a double click) sends nothing more.
    again = desk.post(f"{page}/time/confirm", data={"csrf_token": desk.csrf_token(page)})
    assert again.status_code == 303
    assert "Only a held time can be confirmed" in desk.get(page).get_data(as_text=True)

    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    [email] = patient_emails(smtp, "Your consultation is confirmed")
    assert reference in email["Subject"]
    [invite] = [part for part in email.iter_attachments() if part.get_filename() == "consultation.ics"]
    calendar = Calendar.from_ical(invite.get_content())
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "America/New_York" and event["DTSTART"].params["TZID"] == "America/New_York"
    with app.app_context():
        appointment = the_appointment(app)
        assert appointment.status == "confirmed"
        assert str(event["UID"]).startswith(appointment.uid) and event["SEQUENCE"] == appointment.sequence == 1
        assert event.decoded("DTSTART").astimezone(UTC).replace(tzinfo=None) == appointment.starts_at
    assert_no_health_details(email)
    assert history(app, reference) == [(f"Confirmed the time {label_of(app, value)} with Avery Lee.",
                                        "desk@clinic.test")]


def test_offer_moves_the_cells_and_the_patient_gets_the_manage_link(app, desk, held, smtp):
    reference, old_value = held
    picker = f"/staff/requests/{reference}/time/offer"
    offered = SLOT_RADIO.findall(desk.get(picker).get_data(as_text=True))
    assert offered and old_value not in offered  # its own time is taken, by itself
    new_value = offered[3]
    old_cells = cell_starts(app)

    moved = desk.post_form(picker, {"slot": new_value})
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"/staff/requests/{reference}")
    with app.app_context():
        zone = clinic_zone()
        old_start, new_start = parse_slot_value(old_value, zone), parse_slot_value(new_value, zone)
        appointment = the_appointment(app)
        assert appointment.status == "offered" and appointment.sequence == 1
        assert appointment.starts_at == new_start.astimezone(UTC).replace(tzinfo=None)
        assert practitioners_free_at(old_start) == [appointment.practitioner_id]  # the old time is free again
        assert practitioners_free_at(new_start) == []  # and the new one is taken
        link = manage_url(appointment)
    new_cells = cell_starts(app)
    assert len(new_cells) == len(old_cells) == 6 and not set(new_cells) & set(old_cells)
    assert new_cells[0] == new_start.astimezone(UTC).replace(tzinfo=None)
    assert f"Offered {label_of(app, new_value)}." in desk.get(f"/staff/requests/{reference}").get_data(as_text=True)

    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    [email] = patient_emails(smtp, "We can offer you another time")
    assert link in email.get_body(("plain",)).get_content() and "/appointment/" in link
    assert label_of(app, new_value) in email.get_body(("plain",)).get_content()
    assert_no_health_details(email)
    assert history(app, reference) == [(f"Offered another time: {label_of(app, new_value)} with Avery Lee "
                                        f"(was {label_of(app, old_value)} with Avery Lee).", "desk@clinic.test")]


def test_offering_a_time_someone_just_took_says_so_with_fresh_times(app, desk, held):
    reference, old_value = held
    picker = f"/staff/requests/{reference}/time/offer"
    form = desk.hidden_fields(picker, picker)
    wanted = SLOT_RADIO.findall(desk.get(picker).get_data(as_text=True))[0]
    with app.app_context():  # another patient takes it while the desk is choosing
        make_appointment(parse_slot_value(wanted, clinic_zone()), practitioner=the_appointment(app).practitioner,
                         consultation=make_request(notifications=False, email="sam@example.net"))
    before = cell_starts(app)

    refused = desk.post(picker, data={**form, "slot": wanted})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and TIME_TAKEN in html and 'role="alert"' in html
    fresh = SLOT_RADIO.findall(html)
    assert fresh and wanted not in fresh
    assert cell_starts(app) == before
    with app.app_context():
        mine = db.session.execute(db.select(Appointment).join(ConsultationRequest)
                                  .filter(ConsultationRequest.reference == reference)).scalar_one()
        assert mine.status == "held" and mine.starts_at == parse_slot_value(old_value, clinic_zone()).astimezone(
            UTC).replace(tzinfo=None)
    assert history(app, reference) == []


@pytest.mark.parametrize(("slot", "message"), [
    ("", NO_TIME),
    ("tomorrow morning", NOT_A_TIME),
    ("2027-03-15T09:00:00", NOT_A_TIME),  # no offset
    ("2027-03-15T09:00:00+09:00", NOT_A_TIME),  # not the clinic's offset that day
    ("2027-03-14T02:30:00-05:00", NOT_A_TIME),  # in the hour the clocks skip
    ("9999-12-31T23:59:59-05:00", NOT_A_TIME),
    ("x" * 5000, NOT_A_TIME),
    ("2099-03-16T09:00:00-04:00", TIME_TAKEN),  # well formed, but not a time anyone offers
    ("2001-03-13T09:00:00-05:00", TIME_TAKEN),  # long past
])
def test_a_slot_that_is_not_an_offered_time_gets_a_message_never_a_500(app, desk, held, slot, message):
    reference, _ = held
    picker = f"/staff/requests/{reference}/time/offer"
    before = cell_starts(app)
    answer = desk.post_form(picker, {"slot": slot})
    assert answer.status_code == 200 and message in answer.get_data(as_text=True)
    assert cell_starts(app) == before and history(app, reference) == []


@pytest.mark.parametrize("practitioner", ["abc", "-1", "99999", "1.5", "9" * 400])
def test_a_practitioner_that_is_not_one_is_ignored(app, desk, held, practitioner):
    reference, _ = held
    picker = f"/staff/requests/{reference}/time/offer"
    assert desk.get(f"{picker}?practitioner={practitioner}").status_code == 200
    value = SLOT_RADIO.findall(desk.get(picker).get_data(as_text=True))[0]
    assert desk.post_form(picker, {"slot": value, "practitioner": practitioner}).status_code == 303


def test_the_picker_pages_by_week_and_by_practitioner(app, desk, held):
    reference, _ = held
    with app.app_context():
        other = make_practitioner("Blake Moss", hours="sat 08:00-12:00").id
    picker = f"/staff/requests/{reference}/time/offer"
    first_week = desk.get(picker).get_data(as_text=True)
    later = re.search(r'name="show_week" value="(\d{4}-\d\d-\d\d)"[^>]*>Later week', first_week)
    assert later and "Earlier week" not in first_week
    next_week = desk.post_form(picker, {"show_week": later.group(1)}).get_data(as_text=True)  # the week button
    assert "Earlier week" in next_week and "There is a problem" not in next_week
    by_link = desk.get(f"{picker}?from={later.group(1)}").get_data(as_text=True)  # an address still works
    assert SLOT_RADIO.findall(next_week) == SLOT_RADIO.findall(by_link)
    assert set(SLOT_RADIO.findall(next_week)).isdisjoint(SLOT_RADIO.findall(first_week))
    blakes = SLOT_RADIO.findall(desk.get(f"{picker}?practitioner={other}").get_data(as_text=True))
    with app.app_context():
        assert blakes and all(parse_slot_value(v, clinic_zone()).astimezone(clinic_zone()).weekday() == 5
                              for v in blakes)
    # The form posts to the picker's own address; the practitioner chosen is the form's own select.
    moved = desk.post_form(picker, {"slot": blakes[0], "practitioner": str(other)}, page=f"{picker}?practitioner={other}")
    assert moved.status_code == 303
    with app.app_context():
        assert the_appointment(app).practitioner.name == "Blake Moss"


def test_with_no_week_asked_the_first_page_is_the_first_week_with_a_time(app, client, staff):
    """Like the night CI once failed: midnight going into Saturday in the clinic, and a practitioner who works
    Saturday mornings. Twelve hours' notice rules out this morning, so the week from today holds nothing of hers."""
    with time_machine.travel(datetime(2026, 11, 28, 5, 0, tzinfo=UTC), tick=False):
        with app.app_context():
            saturdays = make_practitioner("Blake Moss", hours="sat 08:00-12:00").id
            held = make_appointment(datetime(2026, 11, 30, 14, 0, tzinfo=UTC),  # Monday 09:00, with Avery Lee
                                    consultation=make_request(notifications=False))
            reference = held.consultation_request.reference
            first = week_of_times(None, saturdays)
            assert first.first_day == date(2026, 12, 5) and first.earlier == date(2026, 11, 28)
            assert {day for day, times in first.days if times} == {date(2026, 12, 5)}
            assert week_of_times(date(2026, 11, 28), saturdays).empty  # a week asked for is shown as asked
        assert log_in(client, "desk@clinic.test").status_code == 303  # signed in at that moment too
        picker = f"/staff/requests/{reference}/time/offer"
        page = client.get(f"{picker}?practitioner={saturdays}").get_data(as_text=True)
        offered = SLOT_RADIO.findall(page)
        assert offered and "Earlier week" in page and "No free times this week" not in page
        with app.app_context():
            assert {parse_slot_value(v, clinic_zone()).astimezone(clinic_zone()).date() for v in offered} == {
                date(2026, 12, 5)}


def test_release_frees_the_time_and_the_request_is_plain_again(app, desk, held):
    reference, value = held
    page = f"/staff/requests/{reference}"
    unconfirmed = desk.post_form(f"{page}/time/release", page=page)  # the box beside the red button unticked
    assert unconfirmed.status_code == 303 and cell_starts(app) != []
    assert "Nothing was changed: tick the box to confirm" in desk.get(page).get_data(as_text=True)
    released = desk.post_form(f"{page}/time/release", {"confirm": "yes"}, page=page)
    assert released.status_code == 303 and released.headers["Location"].endswith(page)
    assert cell_starts(app) == []
    with app.app_context():
        assert the_appointment(app).status == "released"
        assert practitioners_free_at(parse_slot_value(value, clinic_zone()))
    assert value in free_values(app)
    shown = desk.get(page).get_data(as_text=True)
    assert f"Released {label_of(app, value)}. This is a plain request again." in shown
    assert "Consultation time" not in shown and "Release the time" not in shown
    assert label_of(app, value) not in desk.get("/staff").get_data(as_text=True)
    assert history(app, reference) == [(f"Released the time {label_of(app, value)} with Avery Lee.", "desk@clinic.test")]
    # Nothing is left to act on.
    assert desk.post(f"{page}/time/confirm", data={"csrf_token": desk.csrf_token(page)}).status_code == 404
    assert desk.get(f"{page}/time/offer").status_code == 404


def test_each_action_is_refused_to_a_stranger_and_without_the_csrf_token(app, client, held):
    reference, value = held
    page = f"/staff/requests/{reference}"
    before = cell_starts(app)
    for url, data in [(f"{page}/time/confirm", {}), (f"{page}/time/release", {}),
                      (f"{page}/time/offer", {"slot": value})]:
        token = client.csrf_token()  # a real token for this (anonymous) session: still not enough
        answer = client.post(url, data={**data, "csrf_token": token})
        assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"], url
    assert client.get(f"{page}/time/offer").status_code == 302
    assert log_in(client, "desk@clinic.test").status_code == 303
    for url in [f"{page}/time/confirm", f"{page}/time/release", f"{page}/time/offer"]:
        assert client.post(url, data={"slot": value}).status_code == 400, url  # no CSRF token
    assert cell_starts(app) == before
    with app.app_context():
        assert the_appointment(app).status == "held"
        assert db.session.execute(db.select(db.func.count()).select_from(Notification)).scalar_one() == 0
    assert history(app, reference) == []


def snapshot(app) -> tuple:
    """Everything an action could change: the appointment, its cells, emails owed and the history."""
    with app.app_context():
        appointment = the_appointment(app)
        return ((appointment.status, appointment.starts_at, appointment.sequence, appointment.practitioner_id),
                cell_starts(app),
                db.session.execute(db.select(db.func.count()).select_from(Notification)).scalar_one(),
                db.session.execute(db.select(db.func.count()).select_from(RequestEvent)).scalar_one())


def test_get_requests_change_nothing(app, desk, held):
    reference, value = held
    page = f"/staff/requests/{reference}"
    before = snapshot(app)
    for url in [page, f"{page}/time/offer", f"{page}/time/offer?from=2099-01-01",
                f"{page}/time/offer?from=garbage&practitioner=1", f"{page}/time/offer?slot={value}",
                "/staff", "/staff/agenda", "/staff/agenda?view=week"]:
        assert desk.get(url).status_code == 200, url
    for url in [f"{page}/time/confirm", f"{page}/time/release"]:
        assert desk.get(url).status_code == 405, url
    assert snapshot(app) == before


def test_a_request_with_no_time_has_no_actions(app, desk, reference):
    page = f"/staff/requests/{reference}"
    assert "Consultation time" not in desk.get(page).get_data(as_text=True)
    token = desk.csrf_token(page)
    for url in [f"{page}/time/confirm", f"{page}/time/release", f"{page}/time/offer"]:
        assert desk.post(url, data={"csrf_token": token}).status_code == 404, url
    assert desk.post("/staff/requests/JPT-NONE-NONE/time/confirm", data={"csrf_token": token}).status_code == 404


def test_confirm_and_offer_in_chromium_with_axe(browser, live_app):  # noqa: F811
    app, base = live_app
    stand_in_for_manage_page(app)
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
        db.session.commit()
        practitioner_id = make_practitioner("Avery Lee").id
    first = free_values(app)[0]
    with app.app_context():
        reference = make_appointment(parse_slot_value(first, clinic_zone()),
                                     practitioner=db.session.get(Practitioner, practitioner_id),
                                     consultation=make_request(notifications=False)
                                     ).consultation_request.reference
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/staff/login")
    page.get_by_label("Email address").fill("desk@clinic.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    set_up_two_step_in_browser(page)  # the first sign-in asks for an authenticator app

    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("Held for the clinic to confirm")
    assert_accessible(page, "the inbox with a held time")
    page.goto(f"{base}/staff/requests/{reference}")
    section = page.get_by_role("region", name="Consultation time")
    expect(section).to_contain_text(label_of(app, first))
    assert_accessible(page, "a request page with a held time")
    assert_no_sideways_scroll(page, "a request page with a held time")

    section.get_by_role("button", name="Confirm this time").click()
    expect(page.get_by_role("status")).to_contain_text(f"Confirmed {label_of(app, first)}.")
    expect(section).to_contain_text("Confirmed")
    assert_accessible(page, "a request page after confirming")

    section.get_by_role("link", name="Offer another time").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Offer another time")
    assert_accessible(page, "the offer picker")
    assert_no_sideways_scroll(page, "the offer picker")
    page.get_by_role("button", name="Offer this time").click()  # nothing chosen
    expect(page.get_by_role("alert")).to_contain_text(NO_TIME)
    assert_accessible(page, "the offer picker with its message")
    radio = page.locator('input[name="slot"]').nth(2)
    chosen = radio.get_attribute("value")
    radio.check()
    page.get_by_role("button", name="Offer this time").click()
    expect(page.get_by_role("status")).to_contain_text(f"Offered {label_of(app, chosen)}.")
    expect(page.get_by_role("region", name="Consultation time")).to_contain_text("Another time offered")
    assert console_errors == []
    context.close()
