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

        # A later week, by its link, before typing anything.
        page.get_by_role("link", name="Later week").click()
        expect(picker.get_by_role("radio", name="Wednesday 17 March, 9:00 am")).to_be_visible()
        page.get_by_role("link", name="Earlier week").click()

        # Sending without a time explains what to do, and keeps the answers.
        fill_valid_answers(page)
        page.get_by_role("button", name="Send my request").click()
        expect(page.get_by_role("alert")).to_contain_text("Choose a time, or “None of these times suit me”.")
        expect(page.get_by_label("Full name")).to_have_value("Sam Okafor")
        check(page, "the form with a time missing")

        page.get_by_role("radio", name="Saturday 13 March, 8:30 am").check()
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
