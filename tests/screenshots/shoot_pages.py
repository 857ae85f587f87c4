"""`make screenshots`: the main pages at 390 and 1280 px, as PNGs in screenshots/ (git-ignored), so a
reviewer can look at every page in a minute. Run by pytest for its fixtures (the app on a real port, real
Chromium); it checks nothing but that each page answered 200."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.appointment_helpers import clock, manage_path  # noqa: F401 (a fixture)
from tests.factories import PASSWORD, make_request, make_staff
from tests.fixtures.staff import authenticator_code
from tests.test_browser import browser, live_app  # noqa: F401 (fixtures)
from tests.test_browser_narrow import clinic  # noqa: F401 (a fixture: a booked appointment, staff)

OUT = Path(os.environ.get("SCREENSHOTS_DIR", Path(__file__).resolve().parents[2] / "screenshots"))
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def shoot(page, base: str, path: str, name: str, width: str) -> None:
    response = page.goto(base + path)
    assert response.status in (200, 404), (path, response.status)
    page.screenshot(path=OUT / f"{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_screenshots(browser, clinic, width):  # noqa: F811
    app, base, manage, reference, other = clinic
    OUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    for path, name in [("/", "information"), ("/consultation", "form"), ("/es/consultation", "form-es"),
                       ("/privacy", "privacy"), ("/language-help", "language-help"), (manage, "manage"),
                       (manage + "/change", "change"), (manage + "/cancel", "cancel"), ("/nowhere", "not-found")]:
        shoot(page, base, path, name, width)
    page.goto(base + "/staff/login")
    page.screenshot(path=OUT / f"staff-login-{width}.png", full_page=True)
    page.get_by_label("Email address").fill("boss@clinic.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(authenticator_code(app, "boss@clinic.test"))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for path, name in [("/staff", "staff-inbox"), (f"/staff/requests/{reference}", "staff-request"),
                       (f"/staff/requests/{reference}/time/offer", "staff-offer"), ("/staff/agenda", "staff-agenda"),
                       ("/staff/availability", "staff-availability"), ("/staff/team", "staff-team"),
                       ("/staff/outbox", "staff-outbox"), ("/staff/sessions", "staff-sessions")]:
        shoot(page, base, path, name, width)
    context.close()
