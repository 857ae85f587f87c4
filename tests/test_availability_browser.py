"""/staff/availability in real Chromium: an administrator corrects a mistake, adds time off and a feed; axe-clean."""

import re

from playwright.sync_api import expect

from booking.extensions import db
from booking.staff.operations.accounts import create_staff
from tests.fixtures.staff import set_up_two_step_in_browser
from tests.factories import make_practitioner
from tests.test_browser import (  # noqa: F401  (browser and live_app are fixtures)
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    browser,
    live_app,
)


def test_availability_page_in_chromium_with_axe(browser, live_app):  # noqa: F811
    app, base = live_app
    with app.app_context():
        create_staff("boss@clinic.test", "a long enough passphrase", is_admin=True)
        db.session.commit()
        make_practitioner("Avery Lee", "mon-fri 09:00-12:00,13:00-17:00")
    context = browser.new_context(viewport=PHONE)  # axe-core runs as page JavaScript; the forms need none
    page = context.new_page()
    page.goto(base + "/staff/login")
    page.get_by_label("Email address").fill("boss@clinic.test")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Log in").click()
    set_up_two_step_in_browser(page)  # the first sign-in asks for an authenticator app

    page.get_by_role("link", name="Availability").click()
    expect(page.get_by_role("heading", name="Availability", level=1)).to_be_visible()
    assert_accessible(page, "the availability page")
    assert_no_sideways_scroll(page, "the availability page")

    # Hours are rows of days with time inputs: an overlap is refused and shown again as typed.
    avery = page.get_by_role("region", name=re.compile("Avery Lee"))
    avery.get_by_label("Monday, range 2, from").fill("11:00")
    avery.get_by_role("button", name="Save hours for Avery Lee").click()
    expect(page.get_by_role("alert")).to_contain_text("overlap")
    assert page.title().startswith("Error: ")
    avery = page.get_by_role("region", name=re.compile("Avery Lee"))
    expect(avery.get_by_label("Monday, range 2, from")).to_have_value("11:00")
    assert_accessible(page, "the availability page showing an error")
    assert_no_sideways_scroll(page, "the availability page showing an error")

    avery.get_by_label("Monday, range 2, from").fill("13:00")
    avery.get_by_label("Another range on").select_option("sat")
    avery.get_by_role("button", name="Add a range").click()  # no JavaScript needed: the page is drawn again
    avery = page.get_by_role("region", name=re.compile("Avery Lee"))
    expect(avery.get_by_label("Monday, range 2, from")).to_have_value("13:00")  # kept, not saved yet
    avery.get_by_label("Saturday, range 2, from").fill("08:00")
    avery.get_by_label("Saturday, range 2, to").fill("12:00")
    avery.get_by_role("button", name="Save hours for Avery Lee").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Avery Lee's hours are now mon-fri 09:00-12:00,13:00-17:00; sat 08:00-12:00.")

    avery = page.get_by_role("region", name=re.compile("Avery Lee"))
    avery.get_by_label("Away from (day)").fill("2099-03-15")
    avery.get_by_role("button", name="Add time off for Avery Lee").click()
    expect(page.get_by_role("status")).to_contain_text("Avery Lee is away 2099-03-15.")
    page.get_by_role("button", name="Create feed address for Avery Lee").click()
    feed = page.get_by_label("Private feed address for a calendar app")
    expect(feed).to_have_value(re.compile(r"^http://127\.0\.0\.1:5000/staff/feeds/[\w-]{43}\.ics$"))
    expect(page.get_by_role("button", name="Remove time off 2099-03-15 for Avery Lee")).to_be_visible()
    assert_accessible(page, "the availability page with time off and a feed")
    assert_no_sideways_scroll(page, "the availability page with time off and a feed")
    context.close()
