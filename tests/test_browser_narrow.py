"""Every patient and staff page at 360 px in real Chromium: no sideways scroll, and no reference, phone
number or appointment date split across two lines."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from booking.appointments.links import offer_freed_time
from booking.extensions import db
from booking.models import WaitlistEntry
from tests.appointment_helpers import NEXT_WEEK, book_next_week, clock, manage_path  # noqa: F401 (a fixture)
from tests.factories import PASSWORD, first_free_time, make_request, make_staff
from tests.fixtures.staff import authenticator_code
from tests.test_browser import (PHONE, assert_no_sideways_scroll, browser, fill_required_answers,  # noqa: F401
                                live_app)

# Text that must stay on one line wherever it is shown: a reference, a US phone number as typed or
# stored, and a date and a time as the app writes them ("Monday 15 March", "9:00 am").
SPLIT_CHECK = """() => {
  const patterns = [/JPT-[0-9A-Z]{4}-[0-9A-Z]{4}/g, /\\(\\d{3}\\) \\d{3}-\\d{4}/g, /\\+1\\d{10}/g,
                    /[A-Z][a-z]+day \\d{1,2} [A-Z][a-z]+/g, /\\d{1,2}:\\d{2} [ap]m/g];
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('.visually-hidden, [hidden], .hp')) continue;
    for (const pattern of patterns) {
      for (const match of node.data.matchAll(pattern)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.bottom)));
        if (lines.size > 1) split.push(match[0] + ' in <' + node.parentElement.tagName.toLowerCase() + '> ' + node.data.trim().slice(0, 120));
      }
    }
  }
  return split;
}"""


def assert_fits_a_phone(page: Page, state: str) -> None:
    assert_no_sideways_scroll(page, state)
    assert page.evaluate(SPLIT_CHECK) == [], f"{state}: split across lines"


@pytest.fixture
def clinic(live_app, clock):  # noqa: F811
    """A practitioner with a confirmed appointment (its manage link), a request, and two staff accounts."""
    app, base = live_app
    with app.app_context():
        appointment = book_next_week()
        path = manage_path(appointment)
        reference = appointment.consultation_request.reference
        other = make_request(phone="(541) 555-0142", phone_e164="+15415550142").reference
        make_staff("boss@clinic.test", is_admin=True)
        # A waiting patient's offer of a free time: the freed-time page.
        waiting = make_request(email="lee@example.com", notifications=False)
        db.session.add(WaitlistEntry(consultation_request=waiting))
        start = first_free_time(appointment.practitioner_id, NEXT_WEEK + timedelta(days=1)).start
        freed = f"/appointment/freed/{offer_freed_time(waiting, appointment.practitioner_id, start).token}"
        db.session.commit()
    return app, base, path, reference, other, freed


PATIENT_PAGES = ["/", "/privacy", "/language-help", "/consultation", "/es/", "/es/privacy", "/es/consultation",
                 "/no-such-page"]


def test_every_patient_page_fits_a_360px_phone(browser, clinic):  # noqa: F811
    app, base, manage, _, _, freed = clinic
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    for path in [*PATIENT_PAGES, manage, manage + "/change", manage + "/cancel", manage + "/consent",
                 "/es" + manage, "/es" + manage + "/consent", freed, "/es" + freed]:
        page.goto(base + path)
        assert_fits_a_phone(page, path)
    # The sent page, with its reference and held time: send the form with the first time.
    page.goto(base + "/consultation")
    page.locator(".slots label").first.click()
    fill_required_answers(page)
    page.get_by_label("Phone number").fill("(541) 555-0142")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your request was sent")
    assert_fits_a_phone(page, "the sent page")
    context.close()


def test_every_staff_page_fits_a_360px_phone(browser, clinic):  # noqa: F811
    app, base, _, reference, other, _ = clinic
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(base + "/staff/login")
    assert_fits_a_phone(page, "the staff login")
    page.get_by_label("Email address").fill("boss@clinic.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Code")).to_be_visible()  # the next page has loaded
    assert_fits_a_phone(page, "the code step")
    page.get_by_label("Code").fill(authenticator_code(app, "boss@clinic.test"))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for path in ["/staff", f"/staff/requests/{reference}", f"/staff/requests/{other}",
                 f"/staff/requests/{reference}/time/offer", "/staff/agenda", "/staff/availability",
                 "/staff/outbox", "/staff/team", "/staff/password", "/staff/sessions", "/staff/numbers"]:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert_fits_a_phone(page, path)
    context.close()
