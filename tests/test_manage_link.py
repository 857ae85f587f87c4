"""The private manage link: GET only shows, POST with CSRF cancels or changes, inside the cutoff call instead."""

import re
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from booking.appointments.links import manage_token
from booking.lifecycle import operations
from booking.appointments.operations import TIME_TAKEN
from booking.extensions import db
from booking.models import Appointment, BookedCell, Notification
from booking.states import AppointmentStatus
from tests.appointment_helpers import NEXT_WEEK, NOW, book_next_week, manage_path, snapshot
from tests.appointment_helpers import clock  # noqa: F401 (a fixture)
from tests.client import hidden_fields
from tests.factories import first_free_time, make_confirmed_appointment, make_practitioner, make_request


@pytest.fixture
def booked(app, clock):
    """Maria's confirmed consultation on Monday 8 March at 9:00, New York time; its manage path."""
    with app.app_context():
        appointment = book_next_week()
        return appointment.id, manage_path(appointment)


def appointment_row(app, appointment_id) -> Appointment:
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        db.session.expunge(appointment)
        return appointment


def cell_count(app, appointment_id) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(BookedCell)
                                  .where(BookedCell.appointment_id == appointment_id)).scalar_one()


def test_the_page_shows_the_time_place_reference_and_buttons_with_private_headers(app, client, booked):
    _, path = booked
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Monday 8 March, 9:00 am" in page
    assert "Confirmed" in page and "JPT-" in page
    assert app.config["CLINIC_ADDRESS"][0] in page
    assert "Cancel this consultation" in page and "Change the time" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    for detail in ["Maria", "heel", "Plantar", "blood thinners", "needles"]:
        assert detail.lower() not in page.lower(), detail


def test_opening_the_link_any_number_of_times_changes_nothing(app, client, booked):
    _, path = booked
    before = snapshot(app)
    assert sum(len(rows) for rows in before.values()) > 0
    for _ in range(5):
        assert client.get(path).status_code == 200
        assert client.get(path + "/change").status_code == 200
        assert client.head(path).status_code == 200
    assert snapshot(app) == before


@pytest.mark.parametrize("token", [
    "nonsense", "", "a" * 400, "WzEsImFiYyJd.forged-signature", "%00", "..", "<script>",
])
def test_forged_or_malformed_tokens_are_404_never_500(app, client, booked, token):
    _, real_path = booked
    csrf = hidden_fields(client.get(real_path + "/cancel").get_data(as_text=True), real_path + "/cancel")
    before = snapshot(app)
    for path in (f"/appointment/{token}", f"/appointment/{token}/change", f"/appointment/freed/{token}"):
        response = client.get(path)
        assert response.status_code in (404, 308), (path, response.status_code)
    for action in ("cancel", "change", "accept"):
        response = client.post(f"/appointment/{token}/{action}", data={**csrf, "slot": "x"})
        assert 400 <= response.status_code < 500, (action, response.status_code)
        if token:
            assert response.status_code == 404
    assert client.post(f"/appointment/freed/{token}", data=csrf).status_code in ((404,) if token else (404, 405))
    assert snapshot(app) == before


def test_a_link_stops_working_once_the_appointment_has_ended(app, client, booked, clock):
    appointment_id, path = booked
    ends_at = appointment_row(app, appointment_id).ends_at.replace(tzinfo=UTC)
    clock.move_to(ends_at - timedelta(minutes=1))
    assert client.get(path).status_code == 200
    clock.move_to(ends_at + timedelta(seconds=1))
    response = client.get(path)
    assert response.status_code == 404
    assert "This link no longer works" in response.get_data(as_text=True)


def test_a_link_opens_only_its_own_appointment(app, client, booked):
    appointment_id, path = booked
    with app.app_context():
        other = make_confirmed_appointment(make_request(email="sam@example.net"), practitioner=make_practitioner("Jo Park"),
                                 start=first_free_time(None, NEXT_WEEK).start)
        other_token = manage_token(other)
        other_id = other.id
    assert other_id != appointment_id
    assert "Monday 8 March" in client.get(f"/appointment/{other_token}").get_data(as_text=True)
    # The link is the random nonce alone: a character changed, or a row id, opens nothing.
    changed = other_token[:-1] + ("A" if other_token[-1] != "A" else "B")
    for guess in (changed, str(other_id), str(appointment_id)):
        assert client.get(f"/appointment/{guess}").status_code == 404
    # A new nonce (a reissued link) makes the old link stop working.
    with app.app_context():
        db.session.get(Appointment, other_id).manage_nonce = "replaced"
        db.session.commit()
    assert client.get(f"/appointment/{other_token}").status_code == 404
    assert client.get(path).status_code == 200


def test_cancel_without_a_csrf_token_is_refused_and_changes_nothing(app, client, booked):
    _, path = booked
    before = snapshot(app)
    response = client.post(path + "/cancel")
    assert response.status_code == 400
    assert snapshot(app) == before


def test_cancelling_frees_the_time_at_once_for_another_patient(app, client, booked):
    appointment_id, path = booked
    start = appointment_row(app, appointment_id).starts_at.replace(tzinfo=UTC)
    practitioner_id = appointment_row(app, appointment_id).practitioner_id
    fields = hidden_fields(client.get(path + "/cancel").get_data(as_text=True), path + "/cancel")
    response = client.post(path + "/cancel", data=fields)
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    page = client.get(path).get_data(as_text=True)
    assert "Your consultation is cancelled" in page and "This consultation is cancelled" in page
    assert "Cancel this consultation" not in page
    assert appointment_row(app, appointment_id).status is AppointmentStatus.CANCELLED
    assert cell_count(app, appointment_id) == 0
    with app.app_context():
        kinds = db.session.execute(db.select(Notification.kind, Notification.status)
                                   .where(Notification.kind.like("%cancelled"))).all()
        assert sorted(kind for kind, _ in kinds) == ["appointment_cancelled"]
        [notice] = db.session.execute(db.select(Notification).filter_by(kind="clinic_patient_action")).scalars()
        assert notice.payload["action"] == "cancelled"
        # Another patient takes the very same time.
        from booking.appointments import operations as appointment_operations

        sam = make_request(email="sam@example.net")
        appointment_operations.hold_time(sam, start, practitioner_id)
        db.session.commit()
    # Cancelling again (a double click) changes nothing more.
    again = client.post(path + "/cancel", data=fields)
    assert again.status_code == 409 and "Nothing was changed" in again.get_data(as_text=True)


def test_changing_the_time_keeps_the_uid_raises_sequence_and_moves_the_cells(app, client, booked):
    appointment_id, path = booked
    before = appointment_row(app, appointment_id)
    picker = client.get(path + "/change").get_data(as_text=True)
    assert 'name="slot"' in picker and "Monday 8 March, 9:00 am" in picker  # what it is now
    with app.app_context():
        new_time = first_free_time(None, NEXT_WEEK + timedelta(days=1))
    assert f'value="{new_time.value}"' in picker or "Later week" in picker
    response = client.post_form(path + "/change", {"slot": new_time.value}, page=path + "/change")
    assert response.status_code == 303
    after = appointment_row(app, appointment_id)
    assert after.starts_at.replace(tzinfo=UTC) == new_time.start
    assert after.uid == before.uid and after.sequence > before.sequence
    assert after.status is AppointmentStatus.CONFIRMED
    new_path = urlsplit(response.headers["Location"]).path  # moving renews the link: the old one stops
    assert new_path != path and client.get(path).status_code == 404
    assert f"now on {new_time.label}" in client.get(new_path).get_data(as_text=True)
    with app.app_context():
        starts = db.session.execute(db.select(BookedCell.starts_at)
                                    .where(BookedCell.appointment_id == appointment_id)).scalars().all()
        assert min(starts) == after.starts_at and before.starts_at not in starts


def test_picker_pages_by_week_and_refuses_a_bad_from(client, booked):
    _, path = booked
    first = client.get(path + "/change").get_data(as_text=True)
    assert 'name="show_week"' in first and "Later week" in first
    later = client.get(path + "/change?from=2027-03-09")
    assert later.status_code == 200 and "Earlier week" in later.get_data(as_text=True)
    # The week buttons post the picker's form: the next week is drawn, nothing is moved, the pick is kept.
    fields = client.hidden_fields(path + "/change", action=path + "/change")
    chosen = re.search(r'name="slot" type="radio" value="([^"]+)"', first).group(1)
    shown = client.post(path + "/change", data={**fields, "show_week": "2027-03-09", "slot": chosen})
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Earlier week" in page and "There is a problem" not in page
    for bad in ["yesterday", "2027-02-30", "9999-99-99", "x" * 500]:
        assert client.get(path + "/change", query_string={"from": bad}).status_code == 200


def test_a_time_taken_meanwhile_shows_the_picker_again_with_fresh_times(app, client, booked):
    appointment_id, path = booked
    with app.app_context():
        wanted = first_free_time(None, NEXT_WEEK + timedelta(days=2))
    fields = hidden_fields(client.get(path + "/change").get_data(as_text=True), path + "/change")
    with app.app_context():  # someone else takes it between the page and the click
        make_confirmed_appointment(make_request(email="sam@example.net"), start=wanted.start,
                         practitioner=db.session.get(Appointment, appointment_id).practitioner)
    response = client.post(path + "/change", data={**fields, "slot": wanted.value})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert TIME_TAKEN in page and 'name="slot"' in page
    assert f'value="{wanted.value}"' not in page  # fresh times, without the one just taken
    assert appointment_row(app, appointment_id).starts_at.replace(tzinfo=UTC) != wanted.start


@pytest.mark.parametrize("slot", ["", "tomorrow", "2027-03-09T09:00:00+00:00", "2027-03-09T09:07:00-05:00",
                                  "2020-01-06T09:00:00-05:00", "x" * 1000])
def test_a_bad_slot_shows_the_picker_again_and_changes_nothing(app, client, booked, slot):
    _, path = booked
    before = snapshot(app)
    response = client.post_form(path + "/change", {"slot": slot}, page=path + "/change")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="slot"' in page and ("Choose one of the times listed." in page or TIME_TAKEN in page)
    assert snapshot(app) == before


def test_inside_the_cutoff_the_page_says_call_and_posts_are_refused(app, client, booked, clock):
    appointment_id, path = booked
    start = appointment_row(app, appointment_id).starts_at.replace(tzinfo=UTC)
    clock.move_to(start - timedelta(hours=app.config["CANCEL_CUTOFF_HOURS"]) + timedelta(minutes=1))
    fields = {"csrf_token": client.csrf_token()}  # a valid token: the page itself offers no form now
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert "can no longer be changed or cancelled online" in page
    assert 'href="tel:' in page
    assert "Cancel this consultation" not in page and "Change the time" not in page
    before = snapshot(app)
    for action in ("/cancel", "/change"):
        refused = client.post(path + action, data={**fields, "slot": "2027-03-10T09:00:00-05:00"})
        assert refused.status_code == 409
        assert "less than 24 hours away" in refused.get_data(as_text=True)
    assert client.get(path + "/change").status_code == 409
    assert snapshot(app) == before


def test_an_offered_time_can_be_accepted(app, client, booked):
    appointment_id, path = booked
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        operations.offer_time(appointment.consultation_request, first_free_time(None, NEXT_WEEK + timedelta(days=3)).start,
                              None, operations.SYSTEM)
        db.session.commit()
        path = manage_path(appointment)  # the offer renewed the link; its email carries the new one
    page = client.get(path).get_data(as_text=True)
    assert "Accept this time" in page and "Choose another time" in page
    response = client.post_form(path + "/accept", page=path)
    assert response.status_code == 303
    assert appointment_row(app, appointment_id).status is AppointmentStatus.CONFIRMED
    assert "Accept this time" not in client.get(path).get_data(as_text=True)
    assert client.post_form(path + "/cancel", page=path + "/cancel").status_code == 303  # still cancellable after


# The whole journey in real Chromium, with JavaScript on and off, axe-core clean on every page it shows.
from tests.test_browser import PHONE, assert_accessible, assert_no_sideways_scroll, browser, live_app  # noqa: E402, F401


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_manage_journey_in_chromium(browser, live_app, javascript):
    import re
    from datetime import date
    from urllib.parse import urlsplit

    from playwright.sync_api import expect

    from booking.models import WaitlistEntry
    from tests.appointment_helpers import offered_link

    app, base = live_app
    with app.app_context():
        practitioner = make_practitioner()
        appointment = make_confirmed_appointment(practitioner=practitioner,
                                       start=first_free_time(practitioner.id, date.today() + timedelta(days=8)).start)
        path, start = manage_path(appointment), appointment.starts_at.replace(tzinfo=UTC)
        waiting = []
        for email in ("sam@example.net", "lee@example.com"):
            consultation = make_request(email=email, notifications=False)
            db.session.add(WaitlistEntry(consultation_request=consultation))
            waiting.append(consultation)
        db.session.commit()
        sam_link, lee_link = (urlsplit(offered_link(c, practitioner.id, start)).path for c in waiting)

    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    def page_ok(state: str) -> None:
        """axe-core and the width check run script in the page, which hangs with JavaScript off: js-on does them."""
        if javascript:
            assert_accessible(page, state)
            assert_no_sideways_scroll(page, state)

    page.goto(base + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consultation")
    page_ok("the manage page")

    page.get_by_role("link", name="Change the time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose another time")
    page_ok("the change picker")
    page.get_by_role("button", name="Later week").click()
    expect(page.get_by_role("button", name="Earlier week")).to_be_visible()
    page_ok("the change picker, a week later")
    page.get_by_role("button", name="Move my consultation to this time").click()  # nothing chosen
    expect(page.get_by_role("alert")).to_contain_text("Choose one of the times listed.")
    page_ok("the change picker showing an error")
    choice = page.locator('input[name="slot"]').first
    label = page.locator(f'label[for="{choice.get_attribute("id")}"]').inner_text()
    choice.check()
    page.get_by_role("button", name="Move my consultation to this time").click()
    expect(page.get_by_role("status")).to_contain_text(f"now on {label}")
    page_ok("the manage page after a change")

    page.get_by_role("link", name="Cancel this consultation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel your consultation on")
    page_ok("the question before cancelling")
    page.get_by_label("Would you like to tell us why? (optional)").fill("Feeling better")
    page.get_by_role("button", name="Yes, cancel this consultation").click()
    expect(page.get_by_text("This consultation is cancelled")).to_be_visible()
    page_ok("the manage page after cancelling")

    # The time Maria first held was freed when she moved; Sam takes it from the waitlist link.
    page.goto(base + sam_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("A consultation time has come free")
    page_ok("the freed time page")
    page.get_by_role("button", name="Take this time").click()
    expect(page.get_by_role("status")).to_contain_text("The time is held for you")
    page_ok("Sam's new manage page")
    page.goto(base + sam_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    page_ok("the waitlist link once used")
    page.goto(base + lee_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Someone was quicker")
    page_ok("the someone-was-quicker page")

    page.goto(base + "/appointment/not-a-real-link")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    page_ok("the link-not-working page")
    console_errors = [e for e in console_errors if "404" not in e]
    assert console_errors == []
    context.close()


def test_the_offered_and_call_us_pages_are_accessible_in_chromium(browser, live_app):  # noqa: F811
    """The two states the journey above does not pass through: a time offered by staff, and inside the cutoff."""
    from booking.appointments import operations as appointment_operations

    app, base = live_app
    with time_machine.travel(NOW, tick=True):
        with app.app_context():
            practitioner = make_practitioner()
            offered = make_confirmed_appointment(practitioner=practitioner,
                                                 start=first_free_time(practitioner.id, NEXT_WEEK).start)
            operations.offer_time(offered.consultation_request,
                                  first_free_time(practitioner.id, NEXT_WEEK + timedelta(days=3)).start, None,
                                  operations.SYSTEM)
            db.session.commit()
            offered_path = manage_path(offered)
            soon = make_confirmed_appointment(make_request(email="soon@example.org"), practitioner=practitioner,
                                              start=first_free_time(practitioner.id).start)
            soon_path = manage_path(soon)
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.goto(base + offered_path)
        assert page.get_by_role("button", name="Accept this time").is_visible()
        assert_accessible(page, "an offered time")
        assert_no_sideways_scroll(page, "an offered time")
        with app.app_context():
            within = appointment_operations.within_cancel_cutoff(db.session.get(Appointment, soon.id))
        assert within, "the first free time must fall inside the cancel cutoff for this check"
        page.goto(base + soon_path)
        assert page.get_by_role("button", name="Cancel").count() == 0
        assert_accessible(page, "the call-us page inside the cutoff")
        assert_no_sideways_scroll(page, "the call-us page inside the cutoff")
        context.close()
