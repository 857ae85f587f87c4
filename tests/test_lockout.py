"""No stranger can lock a staff member out: what counts, per what, atomically; stronger hashes; common passwords."""

import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from werkzeug.serving import make_server
from werkzeug.security import generate_password_hash

from booking.extensions import db
from booking.models import SignInFailure, StaffUser
from booking.models.staff import PASSWORD_METHOD
from tests.client import hidden_fields
from tests.conftest import free_port
from tests.factories import PASSWORD, make_staff
from tests.fixtures.staff import log_in

STRANGER, OWNER = "203.0.113.9", "198.51.100.7"


def _from(app, address: str):
    """A browser behind the clinic's one trusted proxy, which says it came from `address`."""
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def _failures(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(SignInFailure)).scalar_one()


def test_twelve_wrong_passwords_from_one_address_do_not_keep_the_owner_out(make_app):
    app = make_app(PROXY_COUNT=1)
    with app.app_context():
        make_staff("desk@clinic.test")
    stranger = _from(app, STRANGER)
    statuses = [log_in(stranger, "desk@clinic.test", f"guess number {i}").status_code for i in range(12)]
    assert statuses == [200] * 5 + [429] * 7  # the tight limit: this account from this address
    assert log_in(stranger, "desk@clinic.test").status_code == 429  # even the right password, from there
    owner = _from(app, OWNER)
    signed_in = log_in(owner, "desk@clinic.test")  # right password, then the right code
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/staff"
    assert owner.get("/staff").status_code == 200


def test_the_per_account_ceiling_stops_spraying_from_many_addresses(make_app):
    app = make_app(PROXY_COUNT=1, LOGIN_RATE_LIMIT_ACCOUNT="8 per hour")
    with app.app_context():
        make_staff("desk@clinic.test")
    statuses = [log_in(_from(app, f"203.0.113.{i}"), "desk@clinic.test", "wrong guess!").status_code
                for i in range(10)]
    assert statuses == [200] * 8 + [429] * 2


def test_refused_csrf_invalid_forms_and_429s_are_not_counted(make_app):
    app = make_app(PROXY_COUNT=1)
    with app.app_context():
        make_staff("desk@clinic.test")
    stranger = _from(app, STRANGER)
    for _ in range(10):  # no CSRF token: refused before anything is counted
        stranger.post("/staff/login", data={"email": "desk@clinic.test", "password": "wrong guess!"})
        stranger.post("/staff/login", data={"email": "desk@clinic.test", "password": "x", "csrf_token": "forged"})
    for _ in range(10):  # a valid token but no password: the form is invalid, nothing was tried
        stranger.post_form("/staff/login", {"email": "desk@clinic.test", "password": ""})
    assert _failures(app) == 0
    for _ in range(9):
        log_in(stranger, "desk@clinic.test", "wrong guess!")
    assert _failures(app) == 5  # five wrong ones; the four answered 429 were never tried
    assert log_in(_from(app, STRANGER), "desk@clinic.test").status_code == 429


def test_fifty_parallel_wrong_passwords_cannot_all_be_tried(make_app):
    """Check and count are one step: of 50 simultaneous attempts, at most the limit's five are tried."""
    app = make_app()
    with app.app_context():
        make_staff("desk@clinic.test")
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/staff/login"
    ready, results = threading.Barrier(50), []

    def attempt():
        with urllib.request.urlopen(base, timeout=30) as page:
            cookie = page.headers["Set-Cookie"].split(";")[0]
            token = hidden_fields(page.read().decode(), "/staff/login")["csrf_token"]
        body = urllib.parse.urlencode({"csrf_token": token, "email": "desk@clinic.test",
                                       "password": "wrong guess!"}).encode()
        request = urllib.request.Request(base, data=body, headers={"Cookie": cookie})
        ready.wait(30)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                results.append(answer.status)
        except urllib.error.HTTPError as refused:
            results.append(refused.code)

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    finally:
        server.shutdown()
        server.server_close()
    assert len(results) == 50 and set(results) <= {200, 429}
    assert results.count(200) <= 5  # each 200 is a password really checked
    assert _failures(app) == results.count(200)


def test_an_old_password_hash_is_replaced_with_scrypt_n_2_17_at_the_next_sign_in(make_app):
    app = make_app(PASSWORD_HASH_METHOD=PASSWORD_METHOD)  # production's cost, not the tests' cheap one
    with app.app_context():
        staff = make_staff("desk@clinic.test")
        staff.password_hash = generate_password_hash(PASSWORD, method="scrypt:32768:8:1")  # werkzeug's old default
        db.session.commit()
    assert log_in(app.test_client(), "desk@clinic.test").status_code == 303
    with app.app_context():
        stored = db.session.execute(db.select(StaffUser.password_hash)).scalar_one()
    assert stored.startswith("scrypt:131072:8:1$")
    assert log_in(app.test_client(), "desk@clinic.test").status_code == 303  # the new hash works


COMMON = ["qwerty123456", "1qaz2wsx3edc", "LeaveMeAlone"]  # each in zxcvbn's list, each 12 characters


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_on_the_set_up_link(app, boss, runner, smtp, password):
    """The person chooses their own password from their invitation's link; a common one is refused there."""
    import re
    from urllib.parse import urlsplit

    assert boss.post_form("/staff/team", {"email": "new@clinic.example"}, page="/staff/team").status_code == 303
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    body = smtp.messages[-1].get_body(("plain",)).get_content()
    link = urlsplit(re.search(r"https?://\S+/staff/set-up/\S+", body).group(0)).path
    client = app.test_client()
    page = client.post_form(link, {"password": password, "confirm_password": password, "code": "123456"}, page=link)
    assert "one of the most common ones" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(StaffUser).filter_by(email="new@clinic.example")).scalar_one().awaits_setup


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_when_changing_yours(desk, password):
    page = desk.post_form("/staff/password", {"current_password": PASSWORD, "new_password": password,
                                              "confirm_password": password})
    assert page.status_code == 200 and "one of the most common ones" in page.get_data(as_text=True)
    assert log_in(desk.application.test_client(), "desk@clinic.test").status_code == 303  # unchanged


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_by_create_staff(runner, password):
    result = runner.invoke(args=["create-staff", "new@clinic.test", "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0 and re.search("most common", result.output)
