"""The patient's journey in real Chromium: readable, operable, accessible (axe-core), with and without JavaScript."""

import json
import re
import sqlite3
import threading
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from booking.extensions import db
from booking.staff.operations.accounts import create_staff
from tests.conftest import free_port
from tests.fixtures.staff import set_up_two_step_in_browser

from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402, F401  (imported from here by others)
PHONE = {"width": 360, "height": 740}
AXE = Axe()


@pytest.fixture(scope="module")
def browser(chromium):
    """The session's one Chromium (tests/fixtures/browser.py), under the name the browser modules import."""
    return chromium


@pytest.fixture
def live_app(make_app):
    """The app on a real HTTP port, its background outbox worker on, mailing the test's SMTP server."""
    app = make_app(OUTBOX_WORKER=True)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def live_server(live_app):
    return live_app[1]





def assert_accessible(page: Page, state: str) -> None:
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    violations = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
    ]
    assert violations == [], f"axe-core violations on {state}:\n{json.dumps(violations, indent=1)}"


def assert_no_sideways_scroll(page: Page, state: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{state} scrolls sideways at {widths[1]}px: content is {widths[0]}px wide"


def fill_required_answers(page: Page) -> None:
    """The questions the form requires (the picker's week may hold a Wednesday, so no preferred days here)."""
    page.get_by_label("Full name").fill("Sam Okafor")
    page.get_by_label("Email address").fill("sam@example.net")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Lower back pain").check()
    page.get_by_label("Tell us about the problem").fill("Aching low back after long days at a desk.")
    page.get_by_label("None of these apply to me").check()
    page.get_by_label("may contact me about this request").check()
    page.get_by_label("I have read the privacy notice.").check()


def fill_valid_answers(page: Page) -> None:
    page.get_by_label("Full name").fill("Sam Okafor")
    page.get_by_label("Email address").fill("sam@example.net")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Lower back pain").check()
    page.get_by_label("Where is the problem?").select_option("lower_back")
    page.get_by_label("Both sides").check()
    page.get_by_label("How long has it lasted?").select_option("6_weeks_to_3_months")
    page.get_by_role("group", name="How strong is the pain right now?").get_by_label("5", exact=True).check()
    page.get_by_label("Tell us about the problem").fill("Aching low back after long days at a desk.")
    page.get_by_role("group", name="Have you had dry needling before?").get_by_label("No", exact=True).check()
    page.get_by_label("I am or might be pregnant").check()
    page.get_by_label("Wednesday").check()
    page.get_by_label("Evening").check()
    page.get_by_label("may contact me about this request").check()
    page.get_by_label("I have read the privacy notice.").check()


def test_patient_journey_on_a_phone_with_axe_on_every_state(browser, live_server, smtp):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dry needling")
    assert_accessible(page, "the information page")
    assert_no_sideways_scroll(page, "the information page")

    page.get_by_role("link", name="Request a consultation").first.click()
    expect(page).to_have_url(re.compile(r"/consultation$"))
    assert_accessible(page, "the empty form")
    assert_no_sideways_scroll(page, "the empty form")

    # Send with two mistakes: the summary links to each, and what was typed stays.
    page.get_by_label("Full name").fill("Sam Okafor")
    page.get_by_label("Email address").fill("sam@example")
    page.get_by_role("button", name="Send my request").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem with your request")
    expect(summary).to_be_focused()  # keyboard and screen-reader users start at the list of problems
    expect(summary.get_by_role("link", name="Enter an email address in the correct format")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Sam Okafor")
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    assert page.title().startswith("Error: ")
    assert_accessible(page, "the form showing errors")
    assert_no_sideways_scroll(page, "the form showing errors")

    summary.get_by_role("link", name="Enter an email address in the correct format").click()
    expect(page).to_have_url(re.compile(r"#email$"))

    fill_valid_answers(page)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your request was sent")
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"JPT-[2-9A-Z]{4}-[2-9A-Z]{4}", reference)
    assert "Sam" not in page.url and "back" not in page.url
    assert_accessible(page, "the confirmation page")
    assert_no_sideways_scroll(page, "the confirmation page")

    # The background worker delivered both emails, with no one running send-mail.
    deadline = time.monotonic() + 15
    while len(smtp.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert len(subjects) == 2 and all(reference in s for s in subjects)

    assert console_errors == []  # includes Content-Security-Policy violations
    context.close()


def test_privacy_notice_is_accessible(browser, live_server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server + "/privacy")
    assert_accessible(page, "the privacy notice")
    assert_no_sideways_scroll(page, "the privacy notice")
    page.goto(live_server + "/no-such-page")
    assert_accessible(page, "the 404 page")
    context.close()


def test_the_form_works_with_javascript_off_and_a_double_click_sends_once(browser, live_server, tmp_path):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/consultation")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_text("There is a problem with your request")).to_be_visible()
    fill_valid_answers(page)
    page.get_by_role("button", name="Send my request").dblclick()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your request was sent")
    expect(page.locator(".reference")).to_have_text(re.compile(r"JPT-"))
    context.close()

    with sqlite3.connect(tmp_path / "booking.sqlite3") as db:
        assert db.execute("select count(*) from consultation_request").fetchone() == (1,)


def test_staff_log_in_triage_a_request_with_axe_on_each_page(browser, live_app):
    app, base = live_app
    with app.app_context():
        create_staff("boss@clinic.test", "a long enough passphrase", is_admin=True)
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    # A patient's request arrives.
    page.goto(base + "/consultation")
    fill_valid_answers(page)
    page.get_by_role("button", name="Send my request").click()
    reference = page.locator(".reference").inner_text()

    page.goto(base + "/staff")
    expect(page.get_by_role("heading", name="Staff log in")).to_be_visible()
    assert_accessible(page, "the staff login page")
    page.get_by_label("Email address").fill("boss@clinic.test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an active staff account")
    assert_accessible(page, "the login page showing an error")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Log in").click()
    set_up_two_step_in_browser(page)  # the first sign-in; tests/test_totp.py checks those pages closely

    expect(page.get_by_role("heading", name="Consultation requests")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"Inbox 1 new"))).to_be_visible()
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("I am or might be pregnant")
    assert_accessible(page, "the inbox")

    row.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.get_by_role("link", name="sam@example.net")).to_have_attribute("href", re.compile(r"^mailto:"))
    assert_accessible(page, "a request page")

    page.get_by_label("New status").select_option("contacted")
    page.get_by_label("Note (optional)").fill("Called, left a message")
    page.get_by_role("button", name="Save status").click()
    expect(page.get_by_role("status")).to_contain_text("Marked contacted.")
    expect(page.get_by_role("list").filter(has_text="marked contacted (was new)")).to_contain_text("boss@clinic.test")
    assert_accessible(page, "a request page after a status change")

    page.get_by_role("link", name="Outbox").click()
    assert_accessible(page, "the outbox page")
    page.get_by_role("link", name="Team").click()
    assert_accessible(page, "the team page")
    assert console_errors == []
    context.close()
