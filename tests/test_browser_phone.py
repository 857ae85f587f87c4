"""In real Chromium, a patient types their number the way most people in the US write it, and it goes through."""

import sqlite3

from playwright.sync_api import expect

from tests.test_browser import PHONE, browser, fill_valid_answers, live_app, live_server  # noqa: F401 (fixtures)


def test_a_patient_who_types_the_commonest_us_form_sends_their_request(browser, live_server, tmp_path):  # noqa: F811
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server + "/consultation")
    fill_valid_answers(page)
    page.get_by_label("Phone number").fill("(541) 555-0142")
    page.get_by_role("group", name="How would you like us to contact you?").get_by_label("Phone call").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your request was sent")
    context.close()

    with sqlite3.connect(tmp_path / "booking.sqlite3") as db:
        assert db.execute("select phone, phone_e164, contact_method from consultation_request").fetchall() == [
            ("(541) 555-0142", "+15415550142", "phone")]
