"""Sign-in: a new session token once the second step is done, and OWASP device cookies, so strangers who
spray guesses from many addresses cannot lock the owner out through the per-account ceiling."""

from tests.factories import make_staff
from tests.fixtures.staff import authenticator_code, log_in

STRANGERS = [f"203.0.113.{i}" for i in range(1, 7)]


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def test_a_cookie_captured_between_the_two_steps_is_worth_nothing_after_the_second(app, staff):
    desk = app.test_client()
    from tests.factories import PASSWORD
    after_password = desk.post_form("/staff/login", {"email": "desk@clinic.test", "password": PASSWORD})
    assert after_password.headers["Location"].startswith("/staff/two-step")
    captured = desk.get_cookie("session").value
    done = desk.post_form("/staff/two-step", {"code": authenticator_code(app, "desk@clinic.test")},
                          page="/staff/two-step")
    assert done.status_code == 303 and desk.get("/staff").status_code == 200
    assert desk.get_cookie("session").value != captured
    thief = app.test_client()
    thief.set_cookie("session", captured)
    answer = thief.get("/staff")
    assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]


def test_strangers_spraying_from_many_addresses_do_not_lock_out_the_owners_browser(make_app):
    app = make_app(PROXY_COUNT=1, LOGIN_RATE_LIMIT_ACCOUNT="10 per hour")
    with app.app_context():
        make_staff("desk@clinic.test")
    owner = _from(app, "198.51.100.7")
    assert log_in(owner, "desk@clinic.test").headers["Location"] == "/staff"  # signed in here before
    assert owner.get_cookie("staff_device") is not None
    assert owner.post_form("/staff/logout", page="/staff").status_code == 303

    statuses = [log_in(_from(app, address), "desk@clinic.test", f"guess {address} {i}").status_code
                for address in STRANGERS for i in range(2)]
    assert statuses == [200] * 10 + [429] * 2  # the ceiling, 10 an hour, refuses untrusted clients now
    assert log_in(_from(app, "192.0.2.50"), "desk@clinic.test").status_code == 429  # a new browser too

    again = log_in(owner, "desk@clinic.test")  # the owner's own browser is counted apart
    assert again.status_code == 303 and again.headers["Location"] == "/staff"
    assert owner.get("/staff").status_code == 200


def test_a_device_cookie_for_another_account_or_forged_trusts_nothing(make_app):
    app = make_app(PROXY_COUNT=1, LOGIN_RATE_LIMIT_ACCOUNT="3 per hour")
    with app.app_context():
        make_staff("desk@clinic.test")
        make_staff("boss@clinic.test", is_admin=True)
    boss = _from(app, "198.51.100.8")
    assert log_in(boss, "boss@clinic.test").headers["Location"] == "/staff"
    device = boss.get_cookie("staff_device").value
    for address in STRANGERS[:3]:
        assert log_in(_from(app, address), "desk@clinic.test", "wrong guess!").status_code == 200
    for cookie in (device, device[:-2] + "xx"):
        stranger = _from(app, "203.0.113.99")
        stranger.set_cookie("staff_device", cookie)
        assert log_in(stranger, "desk@clinic.test").status_code == 429


def test_a_trusted_device_still_meets_its_own_tight_limit(make_app):
    app = make_app(PROXY_COUNT=1)
    with app.app_context():
        make_staff("desk@clinic.test")
    owner = _from(app, "198.51.100.7")
    assert log_in(owner, "desk@clinic.test").headers["Location"] == "/staff"
    owner.post_form("/staff/logout", page="/staff")
    statuses = [log_in(owner, "desk@clinic.test", f"typo {i}").status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]
