"""Accounts by invitation: an administrator adds a person by email; the person alone chooses their password
and sets up two-step from a one-time link, mailed through a real SMTP server; a two-step reset does the same."""

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from sqlalchemy import event

from booking.extensions import db
from booking.models import Notification, RecoveryCode, StaffEvent, StaffSession, StaffUser
from tests.appointment_helpers import send_mail, to
from tests.fixtures.staff import log_in
from tests.test_browser import assert_accessible, assert_no_sideways_scroll, browser, live_app  # noqa: F401

PASSWORD = "owner chosen passphrase 7"
GONE = "This set-up link no longer works"


def _link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(r"https?://\S+/staff/set-up/\S+", body).group(0)).path


def _key(page: str) -> str:
    return re.search(r'<code id="key"[^>]*>([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def _set_up(client, link: str, password: str = PASSWORD, code: str | None = None):
    """Open the link, choose the password, and enter the app's code, as the new person would."""
    page = client.get(link)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    key = _key(page.get_data(as_text=True))
    answer = client.post_form(link, {"password": password, "confirm_password": password,
                                     "code": code or pyotp.TOTP(key).now()}, page=link)
    return answer, key


def _account(app, email):
    with app.app_context():
        staff = db.session.execute(db.select(StaffUser).filter_by(email=email)).scalar_one()
        db.session.expunge(staff)
        return staff


def test_an_invited_person_chooses_their_own_password_and_two_step_from_a_one_time_link(app, boss, runner, smtp):
    team = boss.get("/staff/team").get_data(as_text=True)
    assert 'type="password"' not in team  # no administrator sets another's password
    invited = boss.post_form("/staff/team", {"email": "New.Person@clinic.example"}, page="/staff/team")
    assert invited.status_code == 303
    assert "Invitation sent to new.person@clinic.example" in boss.get("/staff/team").get_data(as_text=True)
    assert log_in(app.test_client(), "new.person@clinic.example", PASSWORD).status_code == 200  # no password yet
    outbox = boss.get("/staff/outbox").get_data(as_text=True)  # an email about no request is listed too
    assert "a staff account" in outbox and "staff setup link" in outbox

    send_mail(runner)
    [email] = to(smtp.messages, "new.person@clinic.example")
    assert "Set up your staff account" in email["Subject"]
    link = _link(email)
    assert PASSWORD not in email.as_string()

    newcomer = app.test_client()
    short, _ = _set_up(newcomer, link, password="short")
    assert "Use at least 12 characters." in short.get_data(as_text=True)
    wrong, _ = _set_up(newcomer, link, code="000000")
    assert "That code does not match" in wrong.get_data(as_text=True)
    assert _account(app, "new.person@clinic.example").awaits_setup  # nothing spent by a mistake

    done, key = _set_up(newcomer, link)
    codes = re.findall(r"<li><code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    account = _account(app, "new.person@clinic.example")
    assert not account.awaits_setup and account.has_two_step and PASSWORD not in account.password_hash

    replay = app.test_client().get(link)  # the link is spent
    assert replay.status_code == 404 and GONE in replay.get_data(as_text=True)
    signed_in = app.test_client()
    assert log_in(signed_in, "new.person@clinic.example", PASSWORD).headers["Location"] == "/staff"
    assert signed_in.get("/staff").status_code == 200


def test_an_invitation_expires_after_staff_invite_hours(app, boss, runner, smtp):
    assert boss.post_form("/staff/team", {"email": "late@clinic.example"}, page="/staff/team").status_code == 303
    send_mail(runner)
    link = _link(to(smtp.messages, "late@clinic.example")[0])
    with time_machine.travel(timedelta(hours=71), tick=True):
        assert app.test_client().get(link).status_code == 200
    with time_machine.travel(timedelta(hours=72, minutes=1), tick=True):
        late = app.test_client().get(link)
        assert late.status_code == 404 and GONE in late.get_data(as_text=True)


def test_a_new_set_up_link_replaces_the_old_one(app, boss, runner, smtp):
    boss.post_form("/staff/team", {"email": "again@clinic.example"}, page="/staff/team")
    send_mail(runner)
    first = _link(to(smtp.messages, "again@clinic.example")[0])
    staff_id = _account(app, "again@clinic.example").id
    assert boss.post_form(f"/staff/team/{staff_id}/set-up-link", page="/staff/team").status_code == 303
    send_mail(runner)
    second = _link(to(smtp.messages, "again@clinic.example")[-1])
    assert second != first
    assert app.test_client().get(first).status_code == 404
    assert _set_up(app.test_client(), second)[0].status_code == 200


def test_reset_two_step_closes_the_account_until_its_owner_uses_the_emailed_link(app, staff, boss, runner, smtp):
    desk = app.test_client()
    assert log_in(desk, "desk@clinic.test").status_code == 303
    desk_id = _account(app, "desk@clinic.test").id
    assert boss.post_form(f"/staff/team/{desk_id}/two-step/reset", page="/staff/team").status_code == 303
    assert desk.get("/staff").status_code == 302  # signed out at once

    # The administrator pressed the button; neither they nor anyone with the old password can now sign in.
    from tests.factories import PASSWORD as DESK_PASSWORD
    refused = log_in(app.test_client(), "desk@clinic.test", DESK_PASSWORD)
    assert refused.status_code == 200 and "waiting to be set up" in refused.get_data(as_text=True)

    send_mail(runner)
    [email] = to(smtp.messages, "desk@clinic.test")
    assert "Set up two-step sign-in again" in email["Subject"]
    done, _ = _set_up(app.test_client(), _link(email), password="desk new passphrase 9")
    assert "Two-step sign-in is on" in done.get_data(as_text=True)
    assert log_in(app.test_client(), "desk@clinic.test", DESK_PASSWORD).status_code == 200  # old one is gone
    assert log_in(app.test_client(), "desk@clinic.test", "desk new passphrase 9").headers["Location"] == "/staff"


def test_create_staff_stays_for_the_first_administrator(app, runner):
    made = runner.invoke(args=["create-staff", "first@clinic.test", "--admin", "--password-stdin"],
                         input="first admin passphrase\n")
    assert made.exit_code == 0, made.output
    assert not _account(app, "first@clinic.test").awaits_setup


@pytest.mark.parametrize("javascript", [True, False])
def test_the_set_up_page_in_chromium_is_accessible_and_works_without_javascript(browser, live_app, smtp,  # noqa: F811
                                                                                 javascript):
    from playwright.sync_api import expect

    from booking.staff.operations.invitations import invite
    from tests.factories import make_staff

    app, base = live_app
    with app.app_context():
        invite("new.person@clinic.example", False, make_staff("boss@clinic.test", is_admin=True))
        db.session.commit()
    send_mail(app.test_cli_runner())  # or the app's own outbox worker, woken by the commit, has sent it
    deadline = time.monotonic() + 20
    while not to(smtp.messages, "new.person@clinic.example"):
        assert time.monotonic() < deadline, "the invitation was not delivered"
        time.sleep(0.1)
    link = _link(to(smtp.messages, "new.person@clinic.example")[0])

    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript)
    page = context.new_page()

    def checked(check, *args):
        if javascript:  # axe-core and the width check run scripts in the page
            check(*args)

    page.goto(base + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your account")
    expect(page.get_by_role("img", name="QR code of your sign-in key")).to_be_visible()
    checked(assert_accessible, page, "the account set-up page")
    checked(assert_no_sideways_scroll, page, "the account set-up page")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Save my password and turn on two-step sign-in").click()
    expect(page.get_by_label("Code from the app")).to_have_attribute("aria-invalid", "true")
    checked(assert_accessible, page, "the account set-up page showing an error")
    key = page.locator("#key").inner_text().replace(" ", "")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Save my password and turn on two-step sign-in").click()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    page.goto(base + link)
    expect(page.get_by_role("heading", level=1)).to_have_text(GONE)
    checked(assert_accessible, page, "the spent set-up link page")
    context.close()


def _counts(app):
    with app.app_context():
        return {table.__name__: db.session.execute(db.select(db.func.count()).select_from(table)).scalar_one()
                for table in (StaffUser, StaffEvent, Notification, StaffSession, RecoveryCode)}


def _cut_power_when(holds):
    """A before_commit listener that fails the first commit whose session `holds` something; a list says when."""
    fired = []

    def power_cut(session):
        if not fired and holds(session):
            fired.append(True)
            raise RuntimeError("the database went away at commit")

    return power_cut, fired


def test_an_invitation_whose_commit_fails_leaves_neither_the_account_nor_its_email(app, boss):
    before = _counts(app)
    power_cut, fired = _cut_power_when(lambda session: any(
        isinstance(row, StaffUser) and row.email == "new.person@clinic.example"
        for row in session.identity_map.values()))
    event.listen(db.session, "before_commit", power_cut)
    try:
        sent = boss.post_form("/staff/team", {"email": "new.person@clinic.example"}, page="/staff/team")
    finally:
        event.remove(db.session, "before_commit", power_cut)
    assert fired and sent.status_code == 500  # the server's fault: the error page, and nothing half done
    assert _counts(app) == before
    # Once the database is back, the same invitation makes the account and queues its email together.
    assert boss.post_form("/staff/team", {"email": "new.person@clinic.example"}, page="/staff/team").status_code == 303
    after = _counts(app)
    assert (after["StaffUser"], after["Notification"]) == (before["StaffUser"] + 1, before["Notification"] + 1)


def test_a_two_step_reset_whose_commit_fails_leaves_the_key_the_sessions_and_no_email(app, boss, desk):
    desk_id = _account(app, "desk@clinic.test").id
    before = _counts(app)
    power_cut, fired = _cut_power_when(lambda session: session.execute(  # the commit that ends desk's sessions
        db.select(db.func.count()).select_from(StaffSession).where(StaffSession.staff_id == desk_id)).scalar_one() == 0)
    event.listen(db.session, "before_commit", power_cut)
    try:
        sent = boss.post_form(f"/staff/team/{desk_id}/two-step/reset", {}, page="/staff/team")
    finally:
        event.remove(db.session, "before_commit", power_cut)
    assert fired and sent.status_code == 500
    assert _counts(app) == before
    account = _account(app, "desk@clinic.test")
    assert account.has_two_step and not account.awaits_setup
    assert desk.get("/staff").status_code == 200  # still signed in: no session was ended
