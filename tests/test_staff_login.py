"""Logging in and out: where login sends you, the same answer for every failure, limits, sessions, passwords."""

import hashlib
from datetime import UTC, datetime, timedelta

import time_machine

from booking.models.staff import PASSWORD_METHOD
from tests.client import hidden_fields
from tests.factories import PASSWORD, make_staff
from tests.fixtures.staff import log_in


def test_login_sends_you_on_to_the_page_you_asked_for_and_never_off_site(app, staff, reference):
    client = app.test_client()
    response = client.get(f"/staff/requests/{reference}")
    assert response.headers["Location"] == f"/staff/login?next=%2Fstaff%2Frequests%2F{reference}"
    landed = log_in(client, "desk@clinic.test", next_path=f"/staff/requests/{reference}")
    assert landed.headers["Location"] == f"/staff/requests/{reference}"
    for evil in ["https://evil.example/staff", "//evil.example/staff", "/\\evil.example", "/elsewhere"]:
        other = app.test_client()
        assert log_in(other, "desk@clinic.test", next_path=evil).headers["Location"] == "/staff"


def test_unknown_email_and_wrong_password_get_the_same_message(app, staff):
    unknown = log_in(app.test_client(), "nobody@clinic.test").get_data(as_text=True)
    wrong = log_in(app.test_client(), "desk@clinic.test", password="wrong password here").get_data(as_text=True)
    message = "That email address and password do not match an active staff account."
    assert message in unknown and message in wrong

    def without_typed_email(page):
        token = hidden_fields(page, "/staff/login")["csrf_token"]  # differs per session, as it should
        return page.replace(token, "").replace("nobody@clinic.test", "").replace("desk@clinic.test", "")

    assert without_typed_email(unknown) == without_typed_email(wrong)


def test_an_unknown_email_costs_the_same_scrypt_as_a_wrong_password(make_app, monkeypatch):
    """The hash checked for an unknown email is kept as text in booking/staff/operations/accounts.py: if
    PASSWORD_METHOD grows costlier and the text stays, unknown emails would answer faster, and tell which
    accounts exist.

    The one test at production's cost (the tests' config hashes cheaply): a real sign-in, a real scrypt."""
    app = make_app(PASSWORD_HASH_METHOD=PASSWORD_METHOD)
    with app.app_context():
        make_staff("desk@clinic.test")
    costs = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: costs.append((k["n"], k["r"], k["p"])) or real(*a, **k))
    log_in(app.test_client(), "nobody@clinic.test")
    log_in(app.test_client(), "desk@clinic.test", password="wrong password here")
    method = tuple(int(part) for part in PASSWORD_METHOD.split(":")[1:])
    assert costs == [method, method]


def test_failed_logins_are_limited_per_account(make_app):
    app = make_app(LOGIN_RATE_LIMIT_ACCOUNT="3 per 15 minutes", LOGIN_RATE_LIMIT_ADDRESS="100 per minute")
    with app.app_context():
        make_staff("desk@clinic.test")
    client = app.test_client()
    assert [log_in(client, "desk@clinic.test", "wrong password!").status_code for _ in range(3)] == [200] * 3
    blocked = log_in(client, "Desk@Clinic.test")  # even the right password, in any letter case
    assert blocked.status_code == 429
    assert "Please wait a moment" in blocked.get_data(as_text=True)
    assert log_in(client, "other@clinic.test", "whatever").status_code == 200  # other accounts unaffected


def test_failed_logins_are_limited_per_address(make_app):
    app = make_app(LOGIN_RATE_LIMIT_ACCOUNT="100 per minute", LOGIN_RATE_LIMIT_ADDRESS="3 per 15 minutes")
    with app.app_context():
        make_staff("desk@clinic.test")
    client = app.test_client()
    statuses = [log_in(client, f"guess{i}@clinic.test", "nope nope").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_successful_logins_do_not_count_against_the_limit(make_app):
    app = make_app(LOGIN_RATE_LIMIT_ACCOUNT="2 per 15 minutes", LOGIN_RATE_LIMIT_ADDRESS="2 per 15 minutes")
    with app.app_context():
        make_staff("desk@clinic.test")
    for _ in range(4):
        assert log_in(app.test_client(), "desk@clinic.test").status_code == 303


def test_staff_session_cookie_expires_after_a_working_day_of_inactivity(app, staff):
    client = app.test_client()
    response = log_in(client, "desk@clinic.test")
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=10)
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is True


def test_an_idle_staff_session_is_refused_by_the_server_once_it_expires(make_app):
    """The server checks the session's age itself, whatever the browser does with the cookie."""
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=2))
    with app.app_context():
        make_staff("desk@clinic.test")
    client = app.test_client()
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=UTC), tick=False) as clock:
        log_in(client, "desk@clinic.test")
        assert client.get("/staff").status_code == 200  # activity renews the session
        stale = client.get_cookie("session").value
        clock.shift(timedelta(seconds=3))
        client.set_cookie("session", stale)  # as a browser that ignored the cookie's expiry would send it
        assert client.get("/staff").status_code == 302


def test_change_your_own_password(app, desk):
    def change(current, new, confirm):
        return desk.post_form("/staff/password", {"current_password": current, "new_password": new,
                                                  "confirm_password": confirm})

    wrong = change("not it at all", "brand new passphrase", "brand new passphrase")
    assert "That is not your current password." in wrong.get_data(as_text=True)
    assert PASSWORD not in wrong.get_data(as_text=True)  # passwords are never echoed back
    mismatch = change(PASSWORD, "brand new passphrase", "other")
    assert "The two new passwords do not match." in mismatch.get_data(as_text=True)
    done = change(PASSWORD, "brand new passphrase", "brand new passphrase")
    assert done.status_code == 303
    assert log_in(app.test_client(), "desk@clinic.test").status_code == 200
    assert log_in(app.test_client(), "desk@clinic.test", "brand new passphrase").status_code == 303


def test_changing_a_password_ends_the_other_sessions(app, staff):
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "desk@clinic.test")
    log_in(phone, "desk@clinic.test")
    laptop.post_form("/staff/password", {"current_password": PASSWORD, "new_password": "brand new passphrase",
                                         "confirm_password": "brand new passphrase"})
    assert laptop.get("/staff").status_code == 200
    assert phone.get("/staff").status_code == 302


def test_log_out(desk):
    assert desk.post_form("/staff/logout", page="/staff").status_code == 303
    assert desk.get("/staff").status_code == 302
