"""Deep links: /consultation?slot=<start with offset>&practitioner=<id> opens the form with that time chosen."""

import json
import re
from datetime import datetime, timezone
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import time_machine

from playwright.sync_api import expect

from booking.extensions import db
from booking.models import Appointment
from tests.conftest import valid_answers
from tests.test_booking_intake import add_practitioner, offered
from tests.test_browser import (  # noqa: F401 (fixtures)
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    browser,
    fill_required_answers,
    live_app,
)

# Wednesday 10 March 2027, 7:00 am in New York: the first bookable day is Thursday 11 March.
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)
THU_9AM = "2027-03-11T09:00:00-05:00"
CHECKED = re.compile(r'name="slot" type="radio" value="([^"]+)" checked')


@pytest.fixture(autouse=True)
def clinic_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def link(slot: str, practitioner=None) -> str:
    url = f"/consultation?slot={quote(slot)}"
    return url if practitioner is None else f"{url}&practitioner={practitioner}"


def checked(page: str) -> list[str]:
    return CHECKED.findall(page)


def test_a_free_time_opens_checked_and_sending_the_form_books_it_with_that_practitioner(app, client):
    add_practitioner(app, "Avery Lee")
    blake = add_practitioner(app, "Blake Kim")
    # A week and a day ahead (after the clocks change): the picker shows that week, the time checked.
    slot = "2027-03-19T10:30:00-04:00"
    response = client.get(link(slot, blake))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert checked(page) == [slot]
    assert f'<option selected value="{blake}">Blake Kim</option>' in page
    assert "The time you chose, Friday 19 March, 10:30 am, is still free" in page
    response = client.post_form("/consultation", valid_answers(slot=slot, practitioner=str(blake)), page=link(slot, blake))
    assert response.status_code == 303
    with app.app_context():
        appointment = db.session.execute(db.select(Appointment)).scalar_one()
        assert appointment.practitioner_id == blake
        assert appointment.starts_at == datetime(2027, 3, 19, 14, 30)


@pytest.mark.parametrize("written", [
    THU_9AM,
    "2027-03-11T14:00:00+00:00",   # the same instant in UTC
    "2027-03-11T14:00:00Z",
    "2027-03-11T09:00:00 05:00".replace(" 05", "-05"),
    "2027-03-11T15:00:00 01:00",   # a "+" that was not percent-encoded arrives as a space
])
def test_the_same_instant_in_any_offset_opens_the_clinics_time(app, client, written):
    add_practitioner(app)
    page = client.get(f"/consultation?slot={written}").get_data(as_text=True)
    assert checked(page) == [THU_9AM]


def test_a_taken_time_says_so_and_offers_the_nearest_free_times_as_links(app, client):
    add_practitioner(app)
    first = app.test_client()
    assert first.post_form("/consultation", valid_answers(slot=THU_9AM)).status_code == 303
    response = client.get(link(THU_9AM))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Thursday 11 March, 9:00 am is no longer free." in page
    assert checked(page) == []
    nearest = re.findall(r'<li><a href="(/consultation\?slot=[^"]+)#when">([^<]+)</a></li>', page)
    assert [label for _, label in nearest] == [
        "Thursday 11 March, 9:30 am", "Thursday 11 March, 10:00 am", "Thursday 11 March, 10:30 am"]
    assert THU_9AM not in offered(page) and "2027-03-11T09:30:00-05:00" in offered(page)
    # Each nearest time is itself a deep link that opens with it chosen.
    again = client.get(nearest[0][0].replace("&amp;", "&")).get_data(as_text=True)
    assert checked(again) == ["2027-03-11T09:30:00-05:00"]


def test_a_time_the_practitioner_does_not_work_is_not_free_even_if_another_does(app, client):
    add_practitioner(app, "Avery Lee", "mon-fri 09:00-12:00")
    blake = add_practitioner(app, "Blake Kim", "mon-fri 13:00-15:00")
    page = client.get(link(THU_9AM, blake)).get_data(as_text=True)
    assert "is no longer free" in page and checked(page) == []
    assert "Thursday 11 March, 1:00 pm" in page  # Blake's nearest


UNREADABLE = "We could not read the time in the link you followed."
NOT_FREE = "is no longer free."


@pytest.mark.parametrize("slot, message", [
    ("", UNREADABLE), ("tomorrow", UNREADABLE), ("2027-03-11T09:00:00", UNREADABLE),  # no offset
    ("2027-13-45T09:00:00-05:00", UNREADABLE), ("2027-03-11T09:00:00-05:00" * 3, UNREADABLE),
    ("<script>", UNREADABLE), ("2027-03-11T09:00:00+99:00", UNREADABLE),
    ("9999-12-31T23:59:59+00:00", UNREADABLE),  # past the last day a calendar can hold
    ("0001-01-03T00:00:00+00:00", NOT_FREE), ("2027-03-11T09:07:00-05:00", NOT_FREE),  # not a start
    ("2030-01-07T09:00:00-05:00", NOT_FREE),  # beyond the booking horizon
])
def test_an_unreadable_or_impossible_slot_still_opens_the_form(app, client, slot, message):
    add_practitioner(app)
    response = client.get(link(slot))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert checked(page) == [] and offered(page)[0] == THU_9AM
    assert "&lt;script&gt;" not in page  # nothing of what was asked is written back unread


@pytest.mark.parametrize("practitioner", ["abc", "999", "-1", "1" * 30])
def test_an_unknown_practitioner_means_anyone(app, client, practitioner):
    add_practitioner(app)
    response = client.get(link(THU_9AM, practitioner))
    assert response.status_code == 200
    assert checked(response.get_data(as_text=True)) == [THU_9AM]


def test_a_time_inside_the_notice_period_is_not_offered(app, client):
    add_practitioner(app, hours="mon-sun 07:00-20:00")
    page = client.get(link("2027-03-10T11:00:00-05:00")).get_data(as_text=True)
    assert "is no longer free" in page and checked(page) == []


def test_in_spanish(app, client):
    add_practitioner(app)
    page = client.get("/es" + link(THU_9AM)).get_data(as_text=True)
    assert checked(page) == [THU_9AM]
    assert "La hora que eligió, jueves 11 de marzo, 9:00, sigue libre" in page


def test_a_taken_time_in_spanish(app, client):
    add_practitioner(app)
    assert app.test_client().post_form("/consultation", valid_answers(slot=THU_9AM)).status_code == 303
    page = client.get("/es" + link(THU_9AM)).get_data(as_text=True)
    assert "La hora jueves 11 de marzo, 9:00 ya no está libre." in page
    assert "Las horas libres más cercanas:" in page
    assert re.search(r'<a href="/es/consultation\?slot=2027-03-11T09:30:00-05:00#when">jueves 11 de marzo, 9:30</a>',
                     page), page


@pytest.mark.parametrize("javascript", [True, False])
def test_a_published_slots_link_in_chromium_then_a_nearest_time_is_sent(browser, live_app, javascript):  # noqa: F811
    """From the FHIR Slot file to a held time, on a phone, with JavaScript on and off; axe-core clean."""
    app, base = live_app
    with time_machine.travel(NOW):
        avery = add_practitioner(app)
        taken = app.test_client()
        assert taken.post_form("/consultation", valid_answers(slot=THU_9AM)).status_code == 303
        slots = [json.loads(line) for line in app.test_client().get("/fhir/Slot.ndjson").get_data(as_text=True)
                 .splitlines()]
        by_start = {slot["start"]: slot for slot in slots}
        assert by_start[THU_9AM]["status"] == "busy"
        [link] = [e["valueUrl"] for e in by_start["2027-03-11T09:30:00-05:00"]["extension"]
                  if e["url"].endswith("/booking-deep-link")]
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        # The busy slot's time, as a search result might still link it: the form says so and offers the nearest.
        page.goto(f"{base}/consultation?slot={quote(THU_9AM)}&practitioner={avery}")
        expect(page.get_by_role("status")).to_contain_text("Thursday 11 March, 9:00 am is no longer free.")
        if javascript:
            assert_accessible(page, "the form after a deep link to a taken time")
            assert_no_sideways_scroll(page, "the form after a deep link to a taken time")
        page.get_by_role("link", name="Thursday 11 March, 9:30 am").click()
        picker = page.get_by_role("group", name="Choose a consultation time")
        expect(picker.get_by_role("radio", name="Thursday 11 March, 9:30 am")).to_be_checked()
        # The nearest time's link is the very deep link the Slot file publishes for it.
        assert parse_qs(urlsplit(page.url).query) == parse_qs(urlsplit(link).query)
        if javascript:
            assert_accessible(page, "the form opened on a free time")
        fill_required_answers(page)
        page.get_by_role("button", name="Send my request").click()
        expect(page.get_by_role("heading", name="Your time is held for you")).to_be_visible()
        expect(page.get_by_text("Thursday 11 March, 9:30 am")).to_be_visible()
        context.close()
