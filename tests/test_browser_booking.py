"""The time picker in real Chromium, on a phone, with JavaScript on and off: accessible, and the time is held."""

import sqlite3
from datetime import datetime, timezone

import pytest
import time_machine
from playwright.sync_api import expect

from booking.extensions import db
from booking.models import Practitioner
from tests.test_browser import (  # noqa: F401 (fixtures)
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    browser,
    fill_valid_answers,
    live_app,
)

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)  # Wednesday 10 March 2027, 7 am in New York


@pytest.fixture
def clinic_with_times(live_app):  # noqa: F811
    app, base = live_app
    with app.app_context():
        db.session.add(Practitioner(name="Avery Lee", hours="mon-fri 09:00-12:00,13:00-17:00; sat 08:00-12:00"))
        db.session.add(Practitioner(name="Blake Kim", hours="mon-fri 10:00-16:00"))
        db.session.commit()
    return base


@pytest.mark.parametrize("javascript", [True, False])
def test_a_patient_picks_a_time_on_a_phone_and_it_is_held(browser, clinic_with_times, tmp_path, javascript):  # noqa: F811
    def check(page, state):
        """axe-core and the width check run as page script, so only where JavaScript is on."""
        if javascript:
            assert_accessible(page, state)
            assert_no_sideways_scroll(page, state)

    with time_machine.travel(NOW):
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        page.goto(clinic_with_times + "/consultation")
        picker = page.get_by_role("group", name="Choose a consultation time")
        expect(picker.get_by_role("radio", name="Thursday 11 March, 9:00 am")).to_be_visible()
        check(page, "the form with times")

        # A later week, by its button, before typing anything.
        page.get_by_role("button", name="Later week").click()
        expect(picker.get_by_role("radio", name="Wednesday 17 March, 9:00 am")).to_be_visible()
        page.get_by_role("button", name="Earlier week").click()
        expect(picker.get_by_role("radio", name="Thursday 11 March, 9:00 am")).to_be_visible()

        # Sending without a time explains what to do, and keeps the answers.
        fill_valid_answers(page)
        page.get_by_role("button", name="Send my request").click()
        expect(page.get_by_role("alert")).to_contain_text("Choose a time, or “None of these times suit me”.")
        expect(page.get_by_label("Full name")).to_have_value("Sam Okafor")
        check(page, "the form with a time missing")

        page.get_by_text("Sat 13").click()  # the day first: its times show in place of Thursday's
        expect(picker.get_by_role("radio", name="Thursday 11 March, 9:00 am")).to_be_hidden()
        page.get_by_text("8:30 am").click()
        expect(page.get_by_role("radio", name="Saturday 13 March, 8:30 am")).to_be_checked()
        page.get_by_label("I have read the privacy notice.").check()  # consent boxes are not kept ticked
        page.get_by_label("may contact me about this request").check()
        page.get_by_role("button", name="Send my request").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("your request was sent")
        expect(page.get_by_text("Saturday 13 March, 8:30 am")).to_be_visible()
        expect(page.get_by_role("heading", name="Your time is held for you")).to_be_visible()
        check(page, "the confirmation page with a held time")
        context.close()

    with sqlite3.connect(tmp_path / "booking.sqlite3") as connection:
        rows = connection.execute("select starts_at, status from appointment").fetchall()
    assert rows == [("2027-03-13 13:30:00.000000", "held")]  # 8:30 am EST is 13:30 UTC


PHONE_390 = {"width": 390, "height": 844}


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_390px_phone_a_time_is_chosen_within_one_screen_of_the_picker(browser, clinic_with_times, javascript):  # noqa: F811
    """The whole open day, from the picker's top to its last time, fits one phone screen; so does the day row."""
    with time_machine.travel(NOW):
        context = browser.new_context(viewport=PHONE_390, java_script_enabled=javascript)
        page = context.new_page()
        page.goto(clinic_with_times + "/consultation")
        picker = page.locator(".picker")
        for day in ["Thu 11", "Fri 12", "Mon 15"]:  # the busiest days: both practitioners, names on each time
            page.get_by_text(day).click()
            top = picker.bounding_box()["y"]
            shown = [box for box in (radio.bounding_box() for radio in page.locator(".slots label").all()) if box]
            assert len(shown) >= 10, f"{day}: only {len(shown)} times shown"
            bottom = max(box["y"] + box["height"] for box in shown)
            assert bottom - top <= PHONE_390["height"], f"{day}: the last time is {bottom - top:.0f}px below the picker's top"
        # Days with no free time are in the row, marked, and cannot be chosen.
        sunday = page.get_by_role("radio", name="Sun 14 March")
        expect(sunday).to_be_disabled()
        expect(page.locator("label[for='%s']" % sunday.get_attribute("id"))).to_contain_text("no times")
        context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_changing_week_or_language_keeps_every_answer(browser, clinic_with_times, javascript):  # noqa: F811
    with time_machine.travel(NOW):
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        page.goto(clinic_with_times + "/consultation")
        fill_valid_answers(page)
        page.get_by_text("9:30 am", exact=True).first.click()
        page.get_by_role("button", name="Later week").click()
        expect(page.get_by_role("radio", name="Wednesday 17 March, 9:00 am")).to_be_visible()
        expect(page.get_by_label("Full name")).to_have_value("Sam Okafor")
        expect(page.get_by_label("Email address")).to_have_value("sam@example.net")
        expect(page.get_by_label("Both sides")).to_be_checked()
        expect(page.get_by_role("alert")).to_have_count(0)  # a redraw, not a refusal

        page.get_by_role("button", name="Español").click()
        expect(page).to_have_url(clinic_with_times + "/es/consultation")
        expect(page.get_by_role("heading", level=1)).to_have_text("Pida una consulta de punción seca")
        expect(page.get_by_label("Nombre completo")).to_have_value("Sam Okafor")
        expect(page.get_by_label("Dirección de correo electrónico")).to_have_value("sam@example.net")
        expect(page.get_by_role("radio", name="miércoles 17 de marzo, 9:00")).to_be_visible()  # the same week
        page.get_by_role("button", name="English").click()
        expect(page.get_by_label("Full name")).to_have_value("Sam Okafor")
        expect(page.get_by_label("How long has it lasted?")).to_have_value("6_weeks_to_3_months")
        if javascript:
            assert_accessible(page, "the form redrawn after a change of language")
            assert_no_sideways_scroll(page, "the form redrawn after a change of language")
        context.close()
