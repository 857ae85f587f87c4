"""/staff/availability: administrators add practitioners and change their hours, time off and feed."""

import html
import re
from datetime import datetime

import pytest
import time_machine

from booking.extensions import db
from booking.models import Practitioner, TimeOff
from tests.factories import make_practitioner
from tests.fixtures.staff import log_in

PAGE = "/staff/availability"
SPEC_HINT_EXAMPLE = "mon-fri 09:00-12:00,13:00-17:00; sat 08:00-12:00"


def input_value(page: str, field_id: str) -> str | None:
    """The value an <input> shows, as a browser would read it; None when it shows nothing."""
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert tag, f"no input #{field_id} on the page"
    value = re.search(r'\bvalue="([^"]*)"', tag.group())
    return html.unescape(value.group(1)) or None if value else None


def field_error(page: str, field_id: str) -> str | None:
    """The error text shown beside a field, without its screen-reader prefix."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    if not found:
        return None
    return html.unescape(re.sub(r"<span[^>]*>.*?</span>", "", found.group(1))).strip()


@pytest.fixture
def avery(app) -> int:
    with app.app_context():
        return make_practitioner("Avery Lee", "mon-fri 09:00-12:00,13:00-17:00").id


def stored(app, practitioner_id: int) -> Practitioner:
    with app.app_context():
        practitioner = db.session.get(Practitioner, practitioner_id)
        practitioner.time_off  # noqa: B018  (loaded while the session is open)
        return practitioner


def test_only_administrators_see_it_and_its_link(app, client, staff, avery, boss):
    assert client.get(PAGE).status_code == 302  # not logged in: to the login page
    assert log_in(client, "desk@clinic.test").status_code == 303
    assert client.get(PAGE).status_code == 403
    token = client.csrf_token("/staff")
    for action in ("", f"/{avery}/hours", f"/{avery}/active", f"/{avery}/feed", f"/{avery}/time-off"):
        assert client.post(PAGE + action, data={"csrf_token": token, "hours-1-hours": "sun 09:00-10:00"}).status_code == 403
    assert 'href="/staff/availability"' not in client.get("/staff").get_data(as_text=True)
    assert stored(app, avery).active and stored(app, avery).feed_token is None

    page = boss.get(PAGE)
    assert page.status_code == 200
    assert 'href="/staff/availability"' in boss.get("/staff").get_data(as_text=True)
    text = page.get_data(as_text=True)
    assert "Avery Lee" in text and "mon-fri 09:00-12:00,13:00-17:00" in text
    assert page.headers["Cache-Control"] == "no-store"


def test_an_administrator_adds_a_practitioner(app, boss):
    sent = boss.post_form(PAGE, {"new-name": " Avery  Lee ", "new-email": "avery@clinic.example",
                                 "new-hours": "sat 08:00-12:00; mon-fri 09:00-12:00,13:00-17:00"})
    assert sent.status_code == 303
    page = boss.get(PAGE).get_data(as_text=True)
    assert "Avery Lee added." in page
    with app.app_context():
        [avery] = db.session.execute(db.select(Practitioner)).scalars().all()
        assert (avery.name, avery.email, avery.hours, avery.active) == (
            "Avery Lee", "avery@clinic.example", SPEC_HINT_EXAMPLE, True)


@pytest.mark.parametrize(("answers", "field", "message"), [
    ({"new-hours": "fri-mon 09:00-12:00"}, "new-hours",
     '"fri-mon" runs backwards: days run from mon to sun, so write "mon,fri-sun"'),
    ({"new-hours": ""}, "new-hours", 'The hours are empty: write e.g. "mon-fri 09:00-12:00,13:00-17:00"'),
    ({"new-hours": "mon 09:00-12:00 13:00-17:00"}, "new-hours",
     '"09:00-12:00 13:00-17:00" is not a time range: write HH:MM-HH:MM, e.g. "09:00-12:00",'
     " and separate ranges with commas"),
    ({"new-name": "   "}, "new-name", "Enter the practitioner's name."),
    ({"new-name": "Avery Lee"}, "new-name", "There is already a practitioner with that name."),
    ({"new-email": "sam@clinic"}, "new-email", '"sam@clinic" is not an email address'),
    ({"new-name": "S" * 121}, "new-name", "Field cannot be longer than 120 characters."),
])
def test_adding_with_a_mistake_keeps_what_was_typed(app, boss, avery, answers, field, message):
    typed = {"new-name": "Sam Ortiz", "new-email": "sam@clinic.example", "new-hours": "tue 10:00-14:00", **answers}
    sent = boss.post_form(PAGE, typed)
    assert sent.status_code == 200
    page = sent.get_data(as_text=True)
    assert field_error(page, field) == message
    assert f'href="#{field}"' in page  # the summary leads to it
    assert "<title>Error: " in page
    for name, value in typed.items():
        assert input_value(page, name) == (value or None)
    with app.app_context():
        assert db.session.execute(db.select(Practitioner.name)).scalars().all() == ["Avery Lee"]


def test_hours_are_rows_of_days_with_time_inputs(app, boss, avery):
    page = boss.get(PAGE).get_data(as_text=True)
    # Avery's "mon-fri 09:00-12:00,13:00-17:00": Monday has two pairs, Saturday one empty pair.
    assert input_value(page, f"hours-{avery}-mon-0-from") == "09:00"
    assert input_value(page, f"hours-{avery}-mon-1-to") == "17:00"
    assert input_value(page, f"hours-{avery}-sat-0-from") is None
    assert re.search(rf'<input type="time" id="hours-{avery}-mon-0-from"', page)
    assert ">Add a range</button>" in page


def test_add_a_range_draws_another_pair_and_keeps_what_was_typed_saving_nothing(app, boss, avery):
    name = f"hours-{avery}"
    sent = boss.post_form(f"{PAGE}/{avery}/hours", {f"{name}-mon-from": ["08:00", "13:00"],
                                                     f"{name}-mon-to": ["12:00", "17:00"],
                                                     "add_range_day": "mon", "add_range": "1"}, page=PAGE)
    assert sent.status_code == 200
    page = sent.get_data(as_text=True)
    assert input_value(page, f"{name}-mon-0-from") == "08:00"
    assert f'id="{name}-mon-2-from"' in page and input_value(page, f"{name}-mon-2-from") is None
    assert stored(app, avery).hours == "mon-fri 09:00-12:00,13:00-17:00"


def test_hours_are_saved_from_rows_and_a_mistake_is_shown_again_as_typed(app, boss, avery):
    name, url = f"hours-{avery}", f"{PAGE}/{avery}/hours"
    wrong = boss.post_form(url, {f"{name}-mon-from": ["09:00", "11:00"], f"{name}-mon-to": ["12:00", "14:00"]}, page=PAGE)
    assert wrong.status_code == 200
    page = wrong.get_data(as_text=True)
    assert "That change was not saved" in page and "overlap" in page
    assert input_value(page, f"{name}-mon-1-from") == "11:00"
    half = boss.post_form(url, {f"{name}-tue-from": "10:00", f"{name}-tue-to": ""}, page=PAGE).get_data(as_text=True)
    assert "Tuesday: give both a start and an end, or clear both" in half
    assert stored(app, avery).hours == "mon-fri 09:00-12:00,13:00-17:00"

    rows = {f"{name}-{day}-from": "10:00" for day in ("mon", "tue")} | {f"{name}-{day}-to": "14:00" for day in ("mon", "tue")}
    assert boss.post_form(url, rows, page=PAGE).status_code == 303
    assert stored(app, avery).hours == "mon-tue 10:00-14:00"  # written as the command line writes it
    assert "Avery Lee&#39;s hours are now mon-tue 10:00-14:00." in boss.get(PAGE).get_data(as_text=True)


@pytest.fixture
def march_2027():
    """The clock at 1 March 2027, from before the administrator logs in (a session outlives no time jump)."""
    with time_machine.travel(datetime(2027, 3, 1, 12), tick=False):
        yield


def test_time_off_is_added_on_the_clinic_clock_and_removed(march_2027, app, boss, avery):
    url = f"{PAGE}/{avery}/time-off"
    starts, ends = f"time-off-{avery}-starts", f"time-off-{avery}-ends"
    assert boss.post_form(url, {starts: "2027-03-15 13:00", ends: "2027-03-15 17:30"}, page=PAGE).status_code == 303
    page = boss.get(PAGE).get_data(as_text=True)
    assert f'type="date"' in page and f'id="{starts}"' in page and f'id="{starts}_time"' in page
    assert boss.post_form(f"{url}/{stored(app, avery).time_off[0].id}/remove", page=PAGE).status_code == 303
    # The date and time inputs, as a browser sends them.
    assert boss.post_form(url, {starts: "2027-03-15", f"{starts}_time": "13:00", ends: "2027-03-15",
                                f"{ends}_time": "17:30"}, page=PAGE).status_code == 303
    assert boss.post_form(url, {starts: "2027-03-20", ends: ""}, page=PAGE).status_code == 303
    page = boss.get(PAGE).get_data(as_text=True)
    assert "2027-03-15 13:00 to 17:30 (America/New_York)" in page and "2027-03-20" in page
    # New York is on EDT (UTC-4) from 14 March 2027.
    assert [(t.starts_at, t.ends_at) for t in stored(app, avery).time_off] == [
        (datetime(2027, 3, 15, 17), datetime(2027, 3, 15, 21, 30)),
        (datetime(2027, 3, 20, 4), datetime(2027, 3, 21, 4)),
    ]

    first = stored(app, avery).time_off[0].id
    remove = f"{url}/{first}/remove"
    assert boss.post_form(remove, page=PAGE).status_code == 303
    assert [t.starts_at for t in stored(app, avery).time_off] == [datetime(2027, 3, 20, 4)]
    token = boss.csrf_token(PAGE)
    assert boss.post(remove, data={"csrf_token": token}).status_code == 303  # a second click: nothing to do
    assert "That time off was already removed." in boss.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize(("starts", "ends", "field", "message"), [
    ("", "", "starts", "Enter the day the time off starts."),
    ("15/03/2027", "", "starts", 'FROM "15/03/2027" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'),
    ("2027-03-15", "next week", "ends", 'TO "next week" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'),
    ("2027-03-15", "2027-03-14", "ends", 'The time off ends ("2027-03-14") before it starts ("2027-03-15")'),
    ("2027-03-14 02:30", "2027-03-14 04:00", "starts",
     '"2027-03-14 02:30" does not exist in America/New_York: the clocks skip that time that day'),
])
def test_a_bad_time_off_is_shown_again_as_typed(march_2027, app, boss, avery, starts, ends, field, message):
    names = {"starts": f"time-off-{avery}-starts", "ends": f"time-off-{avery}-ends"}
    sent = boss.post_form(f"{PAGE}/{avery}/time-off", {names["starts"]: starts, names["ends"]: ends}, page=PAGE)
    assert sent.status_code == 200
    page = sent.get_data(as_text=True)
    assert field_error(page, names[field]) == message
    assert input_value(page, names["starts"]) == (starts or None)
    assert input_value(page, names["ends"]) == (ends or None)
    assert stored(app, avery).time_off == []


def test_deactivate_and_activate(app, boss, avery):
    url = f"{PAGE}/{avery}/active"
    page = boss.get(PAGE).get_data(as_text=True)
    assert 'class="button button--danger">Deactivate Avery Lee</button>' in page  # red, beside a box to tick
    assert boss.post_form(url, page=PAGE).status_code == 303  # the box not ticked: asked once more
    assert stored(app, avery).active
    assert "Nothing was changed: tick the box to confirm" in boss.get(PAGE).get_data(as_text=True)
    assert boss.post_form(url, {"confirm": "yes"}, page=PAGE).status_code == 303
    assert not stored(app, avery).active
    page = boss.get(PAGE).get_data(as_text=True)
    assert "Avery Lee is inactive" in page and ">Activate Avery Lee</button>" in page
    assert boss.post_form(url, page=PAGE).status_code == 303
    assert stored(app, avery).active


def test_a_feed_address_is_created_replaced_and_revoked(app, boss, avery):
    assert "No feed address." in boss.get(PAGE).get_data(as_text=True)
    assert boss.post_form(f"{PAGE}/{avery}/feed", page=PAGE).status_code == 303
    first = stored(app, avery).feed_token
    assert first and len(first) >= 43  # secrets.token_urlsafe(32)
    page = boss.get(PAGE).get_data(as_text=True)
    assert input_value(page, f"feed-{avery}") == f"http://127.0.0.1:5000/staff/feeds/{first}.ics"

    assert boss.post_form(f"{PAGE}/{avery}/feed", page=PAGE).status_code == 303
    second = stored(app, avery).feed_token
    assert second and second != first

    assert boss.post_form(f"{PAGE}/{avery}/feed/revoke", page=PAGE).status_code == 303  # not confirmed
    assert stored(app, avery).feed_token == second
    assert boss.post_form(f"{PAGE}/{avery}/feed/revoke", {"confirm": "yes"}, page=PAGE).status_code == 303
    assert stored(app, avery).feed_token is None
    assert "No feed address." in boss.get(PAGE).get_data(as_text=True)


def test_an_unknown_practitioner_is_404_not_500(boss, avery):
    token = boss.csrf_token(PAGE)
    for action in ("/hours", "/time-off", "/active", "/feed", "/feed/revoke", "/time-off/1/remove"):
        assert boss.post(f"{PAGE}/{avery + 100}{action}", data={"csrf_token": token}).status_code == 404


def test_a_post_without_its_csrf_token_changes_nothing(app, boss, avery):
    refused = boss.post(f"{PAGE}/{avery}/active")
    assert refused.status_code == 400
    assert stored(app, avery).active
    with app.app_context():
        assert db.session.execute(db.select(TimeOff)).first() is None
