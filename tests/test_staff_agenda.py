"""/staff/agenda: each practitioner's consultations by local day, right on both sides of a clock change."""

from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from booking.extensions import db
from booking.lifecycle import operations
from booking.models import Practitioner
from booking.staff.operations.accounts import create_staff
from booking.states import AppointmentStatus
from tests.fixtures.staff import set_up_two_step_in_browser
from tests.factories import PASSWORD, make_appointment, make_practitioner, make_request
from tests.fixtures.staff import log_in
from tests.test_browser import assert_accessible, assert_no_sideways_scroll, browser, live_app  # noqa: F401

NEW_YORK = ZoneInfo("America/New_York")  # clocks go forward at 2:00 am on Sunday 14 March 2027
BEFORE_THE_CHANGE = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


class AgendaReader(HTMLParser):
    """The agenda as a reader hears it: practitioner (h2) -> day (h3, or None in the day view) -> list items."""

    def __init__(self):
        super().__init__()
        self.listed: dict[str, dict[str | None, list[str]]] = {}
        self._heading: str | None = None
        self._text = ""
        self._practitioner = self._day = None

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3", "li", "p"):
            self._heading, self._text = tag, ""

    def handle_data(self, data):
        if self._heading:
            self._text += data

    def handle_endtag(self, tag):
        if tag != self._heading:
            return
        text = " ".join(self._text.split())
        if tag == "h2":
            self._practitioner, self._day = text, None
            self.listed[text] = {}
        elif tag == "h3":
            self._day = text
        elif self._practitioner is not None:
            self.listed[self._practitioner].setdefault(self._day, []).append(text)
        self._heading = None


def listed(html: str) -> dict:
    reader = AgendaReader()
    reader.feed(html)
    return reader.listed


def local(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.fixture
def diary(app, staff):
    """Two practitioners' times around the 2027 spring change in New York; their references by name."""
    with app.app_context():
        avery = make_practitioner("Avery Lee")
        blake = make_practitioner("Blake Moss", hours="sat 08:00-12:00")
        make_practitioner("Casey Inactive", active=False)

        def book(practitioner, start, status=None, release=False):
            consultation = make_request(notifications=False)
            appointment = make_appointment(start, practitioner=db.session.get(Practitioner, practitioner),
                                           consultation=consultation, status=status)
            if release:
                operations.release_time(consultation, operations.SYSTEM)
                db.session.commit()
            return consultation.reference

        return {
            "avery_fri": book(avery.id, local(2027, 3, 12, 9, 0)),  # 14:00 UTC, before the change
            "avery_sun_late": book(avery.id, local(2027, 3, 14, 23, 30), AppointmentStatus.CONFIRMED),  # 03:30 UTC Mon
            "avery_mon": book(avery.id, local(2027, 3, 15, 9, 0), AppointmentStatus.OFFERED),  # 13:00 UTC, after
            "blake_sat_evening": book(blake.id, local(2027, 3, 13, 19, 30)),  # 00:30 UTC Sunday
            "blake_sun_early": book(blake.id, local(2027, 3, 14, 3, 0)),  # the first hour after the jump
            "blake_released": book(blake.id, local(2027, 3, 12, 10, 0), release=True),
        }


@pytest.fixture
def desk_in_2027(app, client, diary):
    """The desk, logged in on 1 March 2027 (the clock stays there for the test)."""
    with time_machine.travel(BEFORE_THE_CHANGE, tick=False):
        assert log_in(client, "desk@clinic.test").status_code == 303
        yield client


def test_the_day_view_puts_each_time_on_its_local_day_across_the_clock_change(desk_in_2027, diary):
    sunday = desk_in_2027.get("/staff/agenda?day=2027-03-14&view=day").get_data(as_text=True)
    assert 'Agenda: <span class="nowrap">Sunday 14 March 2027</span>' in sunday  # a date never breaks
    assert listed(sunday) == {
        "Avery Lee": {None: [f"11:30 pm to 12:00 am: Maria Lopez ({diary['avery_sun_late']}) Confirmed Consent: not signed"]},
        "Blake Moss": {None: [f"3:00 am to 3:30 am: Maria Lopez ({diary['blake_sun_early']}) Held for the clinic to confirm"]},
    }
    monday = listed(desk_in_2027.get("/staff/agenda?day=2027-03-15").get_data(as_text=True))
    assert monday == {"Avery Lee": {None: [f"9:00 am to 9:30 am: Maria Lopez ({diary['avery_mon']}) Another time offered"]},
                      "Blake Moss": {None: ["No consultations."]}}
    friday = listed(desk_in_2027.get("/staff/agenda?day=2027-03-12").get_data(as_text=True))
    assert friday["Avery Lee"] == {None: [f"9:00 am to 9:30 am: Maria Lopez ({diary['avery_fri']}) Held for the clinic to confirm"]}
    assert friday["Blake Moss"] == {None: ["No consultations."]}  # a released time is not in the diary
    assert "Casey Inactive" not in friday


def test_the_week_view_runs_monday_to_sunday_with_a_heading_per_day(desk_in_2027, diary):
    week = listed(desk_in_2027.get("/staff/agenda?day=2027-03-10&view=week").get_data(as_text=True))
    none = ["No consultations."]
    assert week["Avery Lee"] == {
        "Monday 8 March 2027": none, "Tuesday 9 March 2027": none, "Wednesday 10 March 2027": none,
        "Thursday 11 March 2027": none,
        "Friday 12 March 2027": [f"9:00 am to 9:30 am: Maria Lopez ({diary['avery_fri']}) Held for the clinic to confirm"],
        "Saturday 13 March 2027": none,
        "Sunday 14 March 2027": [f"11:30 pm to 12:00 am: Maria Lopez ({diary['avery_sun_late']}) Confirmed Consent: not signed"],
    }
    assert week["Blake Moss"]["Saturday 13 March 2027"] == [
        f"7:30 pm to 8:00 pm: Maria Lopez ({diary['blake_sat_evening']}) Held for the clinic to confirm"]
    assert week["Blake Moss"]["Sunday 14 March 2027"] == [
        f"3:00 am to 3:30 am: Maria Lopez ({diary['blake_sun_early']}) Held for the clinic to confirm"]
    after = listed(desk_in_2027.get("/staff/agenda?day=2027-03-15&view=week").get_data(as_text=True))
    assert after["Avery Lee"]["Monday 15 March 2027"] == [
        f"9:00 am to 9:30 am: Maria Lopez ({diary['avery_mon']}) Another time offered"]


def test_links_page_by_day_and_week_and_lead_to_each_request(desk_in_2027, diary):
    day = desk_in_2027.get("/staff/agenda?day=2027-03-14").get_data(as_text=True)
    assert 'href="/staff/agenda?day=2027-03-13&amp;view=day">Previous day' in day
    assert 'href="/staff/agenda?day=2027-03-15&amp;view=day">Next day' in day
    assert f'href="/staff/requests/{diary["avery_sun_late"]}"' in day
    week = desk_in_2027.get("/staff/agenda?day=2027-03-14&view=week").get_data(as_text=True)
    assert 'href="/staff/agenda?day=2027-03-01&amp;view=week">Previous week' in week
    assert 'href="/staff/agenda?day=2027-03-15&amp;view=week">Next week' in week
    today = desk_in_2027.get("/staff/agenda").get_data(as_text=True)
    assert 'Agenda: <span class="nowrap">Monday 1 March 2027</span>' in today  # today on the clinic's clock
    assert '<a href="/staff/agenda">Agenda</a>' in today  # in the staff navigation


@pytest.mark.parametrize("query", ["day=garbage", "view=month", "day=0001-01-01", "day=9999-12-31&view=week",
                                   "day=2027-02-30", "day=" + "9" * 500, "view=week&day=1999-12-31"])
def test_a_date_that_is_not_one_shows_today_never_a_500(desk_in_2027, query):
    page = desk_in_2027.get(f"/staff/agenda?{query}")
    assert page.status_code == 200
    assert "Monday 1 March 2027" in page.get_data(as_text=True)


def test_a_stranger_sees_no_agenda(client, diary):
    answer = client.get("/staff/agenda?day=2027-03-14")
    assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]
    assert diary["avery_sun_late"].encode() not in answer.data


def test_the_agenda_in_chromium_with_axe(browser, live_app):  # noqa: F811
    app, base = live_app
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
        db.session.commit()
        avery = make_practitioner("Avery Lee")
        reference = make_appointment(local(2027, 3, 15, 9, 0), practitioner=avery).consultation_request.reference
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.get_by_label("Email address").fill("desk@clinic.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    set_up_two_step_in_browser(page)  # the first sign-in asks for an authenticator app
    page.get_by_role("link", name="Agenda").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agenda")
    assert_accessible(page, "the agenda for today")
    page.goto(f"{base}/staff/agenda?day=2027-03-15&view=week")
    region = page.get_by_role("region", name="Avery Lee")
    expect(region.get_by_role("heading", name="Monday 15 March 2027")).to_be_visible()
    expect(region.get_by_role("listitem")).to_contain_text(f"9:00 am to 9:30 am: Maria Lopez ({reference})")
    assert_accessible(page, "the agenda for a week")
    assert_no_sideways_scroll(page, "the agenda for a week")
    region.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Maria Lopez ({reference})")
    context.close()
