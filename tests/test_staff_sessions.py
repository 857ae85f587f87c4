"""Sessions that really end: server-side records, logout everywhere a cookie was copied, idle and absolute limits."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import event

from booking.extensions import db
from booking.models import StaffSession, StaffUser
from tests.factories import PASSWORD, make_staff
from tests.fixtures.staff import log_in


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _sessions(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(StaffSession)).scalar_one()


def test_a_copied_cookie_dies_at_logout(app, desk):
    copy = app.test_client()
    copy.set_cookie("session", _cookie(desk))
    assert copy.get("/staff").status_code == 200  # the copy works while the session lives
    assert desk.post_form("/staff/logout", page="/staff").status_code == 303
    assert _sessions(app) == 0
    assert copy.get("/staff").status_code == 302


def test_the_cookie_carries_only_a_random_token(app, desk):
    contents = app.session_interface.get_signing_serializer(app).loads(_cookie(desk))
    assert set(contents) <= {"staff_session", "csrf_token", "_flashes", "_permanent"}  # no user id
    with app.app_context():
        record = db.session.execute(db.select(StaffSession)).scalar_one()
        staff_id = db.session.execute(db.select(StaffUser.id).filter_by(email="desk@clinic.test")).scalar_one()
    assert contents["staff_session"] != str(staff_id) and len(contents["staff_session"]) >= 40
    assert record.token_hash != contents["staff_session"]  # a copy of the database is not a cookie
    assert record.staff_id == staff_id and record.user_agent and record.address == "127.0.0.1"


def test_a_session_ends_after_staff_session_max_hours_however_active(make_app):
    app = make_app(STAFF_SESSION_MAX_HOURS=12)
    with app.app_context():
        make_staff("desk@clinic.test")
    client = app.test_client()
    with time_machine.travel(datetime(2027, 3, 1, 7, 0, tzinfo=UTC), tick=False) as clock:
        log_in(client, "desk@clinic.test")
        for _ in range(11):
            clock.shift(timedelta(hours=1))
            assert client.get("/staff").status_code == 200  # busy all day, never idle
        clock.shift(timedelta(hours=1, minutes=1))
        assert client.get("/staff").status_code == 302
    assert _sessions(app) == 0


def test_an_idle_session_ends_on_the_server(make_app):
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(hours=10))
    with app.app_context():
        make_staff("desk@clinic.test")
    client = app.test_client()
    with time_machine.travel(datetime(2027, 3, 1, 7, 0, tzinfo=UTC), tick=False) as clock:
        log_in(client, "desk@clinic.test")
        stale = _cookie(client)
        clock.shift(timedelta(hours=10, minutes=1))
        client.set_cookie("session", stale)
        assert client.get("/staff").status_code == 302


def test_see_your_sessions_and_end_another_one(app, staff):
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "desk@clinic.test")
    phone.environ_base["HTTP_USER_AGENT"] = "Phone browser 1.0"
    log_in(phone, "desk@clinic.test")
    log_in(app.test_client(), "boss@clinic.test")  # someone else's session is not listed
    page = laptop.get("/staff/sessions").get_data(as_text=True)
    assert "Phone browser 1.0" in page and "(this browser)" in page and page.count("<tr>") == 3
    with app.app_context():
        phone_id = db.session.execute(
            db.select(StaffSession.id).filter_by(user_agent="Phone browser 1.0")).scalar_one()
        boss_id = db.session.execute(db.select(StaffSession.id).join(StaffUser)
                                     .where(StaffUser.email == "boss@clinic.test")).scalar_one()
    # The page offers no button for it; a hand-made request with a valid token ends nothing all the same.
    laptop.post(f"/staff/sessions/{boss_id}/end", data={"csrf_token": laptop.csrf_token("/staff/sessions")})
    assert _sessions(app) == 3
    assert laptop.post_form(f"/staff/sessions/{phone_id}/end", page="/staff/sessions").status_code == 303
    assert phone.get("/staff").status_code == 302
    assert laptop.get("/staff").status_code == 200


def test_changing_your_password_or_being_disabled_ends_every_session(app, staff, boss):
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "desk@clinic.test")
    log_in(phone, "desk@clinic.test")
    copy = app.test_client()
    copy.set_cookie("session", _cookie(laptop))
    laptop.post_form("/staff/password", {"current_password": PASSWORD, "new_password": "brand new passphrase",
                                         "confirm_password": "brand new passphrase"})
    assert phone.get("/staff").status_code == 302 and copy.get("/staff").status_code == 302
    assert laptop.get("/staff").status_code == 200  # the browser that changed it got a new session
    with app.app_context():
        desk_id = db.session.execute(db.select(StaffUser.id).filter_by(email="desk@clinic.test")).scalar_one()
    boss.post_form(f"/staff/team/{desk_id}/enabled", {"confirm": "yes"}, page="/staff/team")
    with app.app_context():
        assert db.session.execute(db.select(StaffSession).filter_by(staff_id=desk_id)).scalars().all() == []
    assert laptop.get("/staff").status_code == 302


def test_a_password_change_whose_commit_fails_changes_nothing_and_ends_no_session(app, staff):
    """The new password, the ended sessions and this browser's new one are one commit: a failed one leaves none."""
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "desk@clinic.test")
    log_in(phone, "desk@clinic.test")
    fired = []

    def power_cut(session):
        """The commit that starts the browser's new session fails."""
        if not fired and any(isinstance(row, StaffSession) for row in session.new):
            fired.append(True)
            raise RuntimeError("the database went away at commit")

    event.listen(db.session, "before_commit", power_cut)
    try:
        changed = laptop.post_form("/staff/password", {"current_password": PASSWORD,
                                                       "new_password": "brand new passphrase",
                                                       "confirm_password": "brand new passphrase"})
    finally:
        event.remove(db.session, "before_commit", power_cut)
    assert fired and changed.status_code == 500
    assert phone.get("/staff").status_code == 200  # the other browser was not signed out
    with app.app_context():
        desk = db.session.execute(db.select(StaffUser).filter_by(email="desk@clinic.test")).scalar_one()
        assert desk.check_password(PASSWORD)
        assert len(db.session.execute(db.select(StaffSession).filter_by(staff_id=desk.id)).scalars().all()) == 2
    # The failing browser's cookie already named its new session, which was never kept: it signs in again,
    # with the password it had.
    assert log_in(laptop, "desk@clinic.test").status_code == 303


def test_a_half_signed_in_browser_reaches_nothing_but_the_code_page(app, staff):
    client = app.test_client()
    after_password = client.post_form("/staff/login", {"email": "desk@clinic.test", "password": PASSWORD})
    assert after_password.headers["Location"] == "/staff/two-step"
    for path in ["/staff", "/staff/sessions", "/staff/password", "/staff/outbox", "/staff/two-step/set-up"]:
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == "/staff/two-step", path
    assert client.get("/staff/two-step").status_code == 200


def test_purge_deletes_sessions_whose_browsers_never_came_back(make_app):
    from booking.staff.operations.sessions import SECOND_STEP_MINUTES

    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(hours=10), STAFF_SESSION_MAX_HOURS=12)
    now = datetime(2027, 3, 1, 12, 0)
    with app.app_context():
        staff = make_staff("desk@clinic.test")
        ages = {  # (created, last seen, verified): only "live" and "half-way" are inside their limits
            "live": (now - timedelta(hours=11), now - timedelta(hours=9), True),
            "idle": (now - timedelta(hours=11), now - timedelta(hours=10, minutes=1), True),
            "too old": (now - timedelta(hours=12, minutes=1), now - timedelta(minutes=5), True),
            "half-way": (now - timedelta(minutes=SECOND_STEP_MINUTES - 1), now, False),
            "half-way, abandoned": (now - timedelta(minutes=SECOND_STEP_MINUTES + 1), now, False),
        }
        for name, (created, seen, verified) in ages.items():
            db.session.add(StaffSession(token_hash=name, staff_id=staff.id, created_at=created, last_seen_at=seen,
                                        verified_at=created if verified else None))
        db.session.commit()
    with time_machine.travel(now.replace(tzinfo=UTC), tick=False):
        output = app.test_cli_runner().invoke(args=["purge"]).output
    assert "Deleted 3 expired staff session(s)." in output
    with app.app_context():
        left = db.session.execute(db.select(StaffSession.token_hash)).scalars().all()
    assert sorted(left) == ["half-way", "live"]
