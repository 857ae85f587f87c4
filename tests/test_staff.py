"""The staff inbox over HTTP: who may see what, the workflow and its history, exports and deletion."""

import csv
import io
import re
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import ConsultationRequest, Notification, RequestEvent, StaffUser, utcnow
from booking.staff.guard import PUBLIC_ENDPOINTS
from booking.staff.service import create_staff
from tests.conftest import make_app, open_form, valid_answers

PASSWORD = "a long enough passphrase"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_from(client, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def log_in(client, email: str, password: str = PASSWORD, next_path: str = ""):
    token = csrf_from(client, "/staff/login")
    return client.post("/staff/login", data={"csrf_token": token, "email": email, "password": password,
                                             "next": next_path})


def new_request(client, **changes) -> str:
    """A patient sends the form; returns the reference."""
    client.post("/consultation", data={**open_form(client), **valid_answers(**changes)})
    return re.search(r"JPT-[A-Z0-9]{4}-[A-Z0-9]{4}", client.get("/consultation/sent").get_data(as_text=True)).group(0)


@pytest.fixture
def staff(app):
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
        create_staff("boss@clinic.test", PASSWORD, is_admin=True)
    return app


@pytest.fixture
def reference(app):
    return new_request(app.test_client())


@pytest.fixture
def desk(client, staff):
    assert log_in(client, "desk@clinic.test").status_code == 303
    return client


@pytest.fixture
def boss(app, staff):
    client = app.test_client()
    assert log_in(client, "boss@clinic.test").status_code == 303
    return client


def staff_urls(app, reference: str) -> list[tuple[str, str]]:
    """Every (method, url) under /staff except the public login page, found from the URL map."""
    with app.app_context():
        notification_id = db.session.execute(db.select(Notification.id)).scalars().first()
        staff_id = db.session.execute(db.select(StaffUser.id)).scalars().first()
    values = {"reference": reference, "notification_id": notification_id, "staff_id": staff_id}
    found = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = adapter.build(rule.endpoint, {arg: values[arg] for arg in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_every_staff_route_refuses_an_anonymous_visitor(app, staff, reference):
    routes = staff_urls(app, reference)
    assert len(routes) >= 12, routes  # the walk found the inbox's routes, not an empty map
    client = app.test_client()
    token = csrf_from(client, "/staff/login")  # a valid CSRF token, so only the login check can refuse
    for method, url in routes:
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/staff/login"), (method, url)
        assert b"Maria" not in response.data and b"heel" not in response.data
    with app.app_context():
        assert db.session.execute(db.select(ConsultationRequest)).scalars().all()  # nothing was erased


def test_every_staff_route_refuses_a_disabled_account(app, staff, reference):
    client = app.test_client()
    log_in(client, "boss@clinic.test")
    assert client.get("/staff").status_code == 200
    with app.app_context():
        db.session.execute(db.update(StaffUser).values(enabled=False))
        db.session.commit()
    token = csrf_from(client, "/staff/login")
    for method, url in staff_urls(app, reference):
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], (method, url)
    # And a disabled account cannot log in again.
    fresh = app.test_client()
    assert log_in(fresh, "boss@clinic.test").status_code == 200


def test_a_staff_member_cannot_act_without_csrf(app, desk, reference):
    for url, data in [
        (f"/staff/requests/{reference}/status", {"status": "contacted"}),
        (f"/staff/requests/{reference}/notes", {"note": "hello"}),
        ("/staff/logout", {}),
        ("/staff/password", {"current_password": PASSWORD, "new_password": "x" * 20, "confirm_password": "x" * 20}),
    ]:
        response = desk.post(url, data=data)
        assert response.status_code in (200, 400), url
    with app.app_context():
        stored = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        assert stored.status == "new"
        assert db.session.execute(db.select(RequestEvent)).scalars().all() == []
    assert desk.get("/staff").status_code == 200  # still logged in: the logout without a token did nothing
    assert log_in(desk.application.test_client(), "desk@clinic.test").status_code == 303  # password unchanged


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
        return CSRF.sub("", page).replace("nobody@clinic.test", "").replace("desk@clinic.test", "")

    assert without_typed_email(unknown) == without_typed_email(wrong)


def test_failed_logins_are_limited_per_account(tmp_path, smtp):
    app = make_app(tmp_path, LOGIN_RATE_LIMIT_ACCOUNT="3 per 15 minutes", LOGIN_RATE_LIMIT_ADDRESS="100 per minute")
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
    client = app.test_client()
    assert [log_in(client, "desk@clinic.test", "wrong password!").status_code for _ in range(3)] == [200] * 3
    blocked = log_in(client, "Desk@Clinic.test")  # even the right password, in any letter case
    assert blocked.status_code == 429
    assert "Please wait a moment" in blocked.get_data(as_text=True)
    assert log_in(client, "other@clinic.test", "whatever").status_code == 200  # other accounts unaffected


def test_failed_logins_are_limited_per_address(tmp_path, smtp):
    app = make_app(tmp_path, LOGIN_RATE_LIMIT_ACCOUNT="100 per minute", LOGIN_RATE_LIMIT_ADDRESS="3 per 15 minutes")
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
    client = app.test_client()
    statuses = [log_in(client, f"guess{i}@clinic.test", "nope nope").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_successful_logins_do_not_count_against_the_limit(tmp_path, smtp):
    app = make_app(tmp_path, LOGIN_RATE_LIMIT_ACCOUNT="2 per 15 minutes", LOGIN_RATE_LIMIT_ADDRESS="2 per 15 minutes")
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
    for _ in range(4):
        assert log_in(app.test_client(), "desk@clinic.test").status_code == 303


def test_staff_session_cookie_expires_after_a_working_day_of_inactivity(app, staff):
    client = app.test_client()
    response = log_in(client, "desk@clinic.test")
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=10)
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is True


def test_an_idle_staff_session_is_refused_by_the_server_once_it_expires(tmp_path, smtp):
    """The server checks the session's age itself, whatever the browser does with the cookie."""
    import time

    app = make_app(tmp_path, PERMANENT_SESSION_LIFETIME=timedelta(seconds=2))
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
    client = app.test_client()
    log_in(client, "desk@clinic.test")
    assert client.get("/staff").status_code == 200  # activity renews the session
    stale = client.get_cookie("session").value
    time.sleep(3)
    client.set_cookie("session", stale)  # as a browser that ignored the cookie's expiry would send it
    assert client.get("/staff").status_code == 302


def test_status_workflow_and_audit_trail(app, desk, reference):
    def move(status, **extra):
        token = csrf_from(desk, f"/staff/requests/{reference}")
        return desk.post(f"/staff/requests/{reference}/status",
                         data={"csrf_token": token, "status": status, **extra})

    # new -> scheduled skips a step: refused, with a message.
    refused = move("scheduled")
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert move("contacted", note="Spoke on the phone").status_code == 303
    assert move("scheduled").status_code == 303
    missing_reason = move("closed")
    assert "Choose why the request is being closed." in missing_reason.get_data(as_text=True)
    assert move("closed", closed_reason="booked").status_code == 303

    token = csrf_from(desk, f"/staff/requests/{reference}")
    assert desk.post(f"/staff/requests/{reference}/notes",
                     data={"csrf_token": token, "note": "Booked for Tuesday 9am"}).status_code == 303

    with app.app_context():
        stored = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        assert (stored.status, stored.closed_reason) == ("closed", "booked") and stored.closed_at
        events = [(e.from_status, e.to_status, e.closed_reason, e.note, e.staff.email) for e in stored.events]
    assert events == [
        ("new", "contacted", None, "Spoke on the phone", "desk@clinic.test"),
        ("contacted", "scheduled", None, "", "desk@clinic.test"),
        ("scheduled", "closed", "booked", "", "desk@clinic.test"),
        (None, None, None, "Booked for Tuesday 9am", "desk@clinic.test"),  # a note: no states
    ]
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    assert "marked contacted (was new)" in page and "marked closed (was scheduled), booked a consultation" in page
    assert "Booked for Tuesday 9am" in page and "desk@clinic.test" in page


def test_request_page_shows_every_answer_flags_first_with_contact_links(desk, reference):
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    assert page.index("Safety screening: 2 flags") < page.index("Maria Lopez")
    for answer in ["I take blood thinners or have a bleeding disorder", "Plantar fasciitis", "Ankle or foot",
                   "Left", "3 to 12 months", "Sharp heel pain", "Tuesday, Thursday", "Morning"]:
        assert answer in page, answer
    assert 'href="mailto:maria@example.org?subject=' in page
    assert 'href="tel:+15550100123"' in page


def test_inbox_lists_newest_first_with_filters_search_and_pages(tmp_path, smtp):
    app = make_app(tmp_path, INBOX_PAGE_SIZE=2)
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
    patient = app.test_client()
    first = new_request(patient, name="Ana First", screening=["none"], condition="lower_back")
    second = new_request(patient, name="Ben Second", email="ben@example.net", phone="+1 555 010 7777")
    third = new_request(patient, name="Cai Third", condition="other", condition_other="Jaw")
    client = app.test_client()
    log_in(client, "desk@clinic.test")

    def listed(query=""):
        return re.findall(r">(JPT-[A-Z0-9-]+)</a>", client.get("/staff" + query).get_data(as_text=True))

    assert listed() == [third, second]
    assert listed("?page=2") == [first]
    assert listed("?flagged=1") == [third, second]
    assert listed("?condition=lower_back") == [first]
    assert listed("?q=ben%40example") == [second]
    assert listed("?q=7777") == [second]
    assert listed("?q=ana") == [first]
    assert listed("?q=" + first.lower()) == [first]
    assert listed("?q=%25") == []  # a wildcard is searched for literally
    assert listed("?status=closed") == []
    assert listed("?status=bogus&condition=bogus&page=-3") == [third, second]


def test_header_counts_new_and_not_contacted_after_one_business_day(app, desk, reference):
    new_request(app.test_client())
    with app.app_context():
        db.session.execute(db.update(ConsultationRequest).where(ConsultationRequest.reference == reference)
                           .values(created_at=utcnow() - timedelta(days=5)))
        db.session.commit()
    page = desk.get("/staff").get_data(as_text=True)
    assert "2 new" in page and "1 not contacted after 1 business day" in page


def test_minimal_notification_carries_no_health_details_and_its_link_works_after_login(tmp_path, smtp):
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, NOTIFY_DETAILS="minimal",
                   PUBLIC_BASE_URL="https://booking.clinic.test")
    with app.app_context():
        create_staff("desk@clinic.test", PASSWORD)
    reference = new_request(app.test_client(), condition="other", condition_other="Frozen-Shoulder",
                            description="Private-Words")
    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    [clinic] = [m for m in smtp.messages if "frontdesk@clinic.test" in m["To"]]
    whole = clinic.as_string()
    for detail in ["Maria", "Lopez", "maria@example.org", "010 0123", "Frozen", "Private-Words", "Something else",
                   "Plantar", "blood thinners", "needle", "heel"]:
        assert detail not in whole, detail
    assert clinic["Reply-To"] is None
    assert clinic["Subject"] == f"New consultation request [{reference}]"
    text = clinic.get_body(("plain",)).get_content()
    assert "SAFETY SCREENING: FLAGS RAISED" in text
    link = f"https://booking.clinic.test/staff/requests/{reference}"
    assert link in text

    client = app.test_client()
    path = link.removeprefix("https://booking.clinic.test")
    bounced = client.get(path)
    assert bounced.status_code == 302 and b"Private" not in bounced.data
    login_url = bounced.headers["Location"]
    next_path = re.search(r"next=([^&]+)", login_url).group(1).replace("%2F", "/")
    landed = log_in(client, "desk@clinic.test", next_path=next_path)
    assert landed.headers["Location"] == path
    assert "Private-Words" in client.get(path).get_data(as_text=True)


def test_full_notification_is_the_default_outside_production(app):
    assert app.config["NOTIFY_DETAILS"] == "full"


def test_csv_export_neutralises_spreadsheet_formulas(app, boss):
    patient = app.test_client()
    new_request(patient, name="=HYPERLINK(\"http://evil.example\",\"x\")", description="+SUM(A1:A9)")
    new_request(patient, name="-2+3", description="@cmd")
    new_request(patient, name="Tab", description="\tTabbed\r\nsecond line")
    response = boss.get("/staff/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 4
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    cells = {cell for row in rows for cell in row}
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells and "'+SUM(A1:A9)" in cells
    assert "'@cmd" in cells and "'-2+3" in cells and "'+1 555 010 0123" in cells


def test_csv_export_follows_the_inbox_filters(app, boss):
    patient = app.test_client()
    flagged = new_request(patient)
    new_request(patient, screening=["none"])
    rows = list(csv.reader(io.StringIO(boss.get("/staff/export.csv?flagged=1").get_data(as_text=True))))
    assert [row[0] for row in rows] == ["Reference", flagged]
    assert rows[0][5:] and "In their words" in rows[0]
    empty = list(csv.reader(io.StringIO(boss.get("/staff/export.csv?q=nobody").get_data(as_text=True))))
    assert len(empty) == 1 and empty[0][0] == "Reference"


def test_csv_export_is_for_administrators_only(desk):
    assert desk.get("/staff/export.csv").status_code == 403


def test_purge_removes_old_closed_requests_and_nothing_else(app, runner, caplog):
    patient = app.test_client()
    old_closed, recent_closed, old_open = (new_request(patient) for _ in range(3))
    with app.app_context():
        staff = create_staff("desk@clinic.test", PASSWORD)
        long_ago = utcnow() - timedelta(days=app.config["RETENTION_DAYS"] + 1)
        for ref, closed_at in [(old_closed, long_ago), (recent_closed, utcnow())]:
            req = db.session.execute(db.select(ConsultationRequest).filter_by(reference=ref)).scalar_one()
            req.status, req.closed_reason, req.closed_at = "closed", "booked", closed_at
            db.session.add(RequestEvent(consultation_request=req, staff=staff, to_status="closed", note="n"))
        db.session.execute(db.update(ConsultationRequest).where(ConsultationRequest.reference == old_open)
                           .values(created_at=long_ago))
        db.session.commit()

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "Purged 1 request(s)" in result.output
    with app.app_context():
        remaining = set(db.session.execute(db.select(ConsultationRequest.reference)).scalars())
        assert remaining == {recent_closed, old_open}
        assert db.session.execute(db.select(db.func.count(Notification.id))).scalar_one() == 4
        assert db.session.execute(db.select(db.func.count(RequestEvent.id))).scalar_one() == 1
    assert any(old_closed in r.getMessage() for r in caplog.records)


def test_an_administrator_erases_one_request_completely(app, boss, desk):
    patient = app.test_client()
    keep = new_request(patient, name="Keep Me")
    erase = new_request(patient, name="Erase Me")
    token = csrf_from(boss, f"/staff/requests/{erase}")
    boss.post(f"/staff/requests/{erase}/notes", data={"csrf_token": token, "note": "asked to be forgotten"})

    # Staff who are not administrators cannot, and a mistyped confirmation does nothing.
    assert desk.post(f"/staff/requests/{erase}/erase",
                     data={"csrf_token": csrf_from(desk, "/staff"), "confirm_reference": erase}).status_code == 403
    boss.post(f"/staff/requests/{erase}/erase", data={"csrf_token": token, "confirm_reference": keep})
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(ConsultationRequest.id))).scalar_one() == 2

    response = boss.post(f"/staff/requests/{erase}/erase", data={"csrf_token": token, "confirm_reference": erase})
    assert response.status_code == 303
    with app.app_context():
        assert set(db.session.execute(db.select(ConsultationRequest.reference)).scalars()) == {keep}
        kept_id = db.session.execute(db.select(ConsultationRequest.id)).scalar_one()
        notifications = db.session.execute(db.select(Notification.request_id)).scalars().all()
        assert notifications == [kept_id, kept_id]
        assert db.session.execute(db.select(RequestEvent)).scalars().all() == []
    assert boss.get(f"/staff/requests/{erase}").status_code == 404


def test_outbox_page_shows_failures_and_retries_now(app, smtp, desk, runner):
    smtp.stop()
    reference = new_request(app.test_client())
    runner.invoke(args=["send-mail"])
    page = desk.get("/staff/outbox").get_data(as_text=True)
    assert reference in page and "ConnectionRefusedError" in page and "Retry now" in page
    smtp.start_again()
    with app.app_context():
        ids = db.session.execute(db.select(Notification.id)).scalars().all()
    token = csrf_from(desk, "/staff/outbox")
    for notification_id in ids:
        assert desk.post(f"/staff/outbox/{notification_id}/retry", data={"csrf_token": token}).status_code == 303
    assert runner.invoke(args=["send-mail"]).exit_code == 0  # due now, not after the backoff
    assert len(smtp.messages) == 2
    assert "Every email has been delivered." in desk.get("/staff/outbox").get_data(as_text=True)


def test_outbox_page_shows_a_refused_address_and_retries_it(app, smtp, desk, runner):
    smtp.handler.refuse.add("typo@example.org")
    reference = new_request(app.test_client(), email="typo@example.org")
    runner.invoke(args=["send-mail"])
    page = desk.get("/staff/outbox").get_data(as_text=True)
    assert "Address refused" in page and reference in page
    with app.app_context():
        refused = db.session.execute(db.select(Notification).filter_by(status="refused")).scalar_one()
    smtp.handler.refuse.clear()  # say the patient's mailbox now exists
    desk.post(f"/staff/outbox/{refused.id}/retry", data={"csrf_token": csrf_from(desk, "/staff/outbox")})
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    assert [m["To"] for m in smtp.messages] == ["frontdesk@clinic.test", "typo@example.org"]


def test_change_your_own_password(app, desk):
    token = csrf_from(desk, "/staff/password")
    wrong = desk.post("/staff/password", data={"csrf_token": token, "current_password": "not it at all",
                                               "new_password": "brand new passphrase", "confirm_password": "brand new passphrase"})
    assert "That is not your current password." in wrong.get_data(as_text=True)
    assert PASSWORD not in wrong.get_data(as_text=True)  # passwords are never echoed back
    mismatch = desk.post("/staff/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                  "new_password": "brand new passphrase", "confirm_password": "other"})
    assert "The two new passwords do not match." in mismatch.get_data(as_text=True)
    done = desk.post("/staff/password", data={"csrf_token": token, "current_password": PASSWORD,
                                              "new_password": "brand new passphrase", "confirm_password": "brand new passphrase"})
    assert done.status_code == 303
    assert log_in(app.test_client(), "desk@clinic.test").status_code == 200
    assert log_in(app.test_client(), "desk@clinic.test", "brand new passphrase").status_code == 303


def test_changing_a_password_ends_the_other_sessions(app, staff):
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "desk@clinic.test")
    log_in(phone, "desk@clinic.test")
    token = csrf_from(laptop, "/staff/password")
    laptop.post("/staff/password", data={"csrf_token": token, "current_password": PASSWORD,
                                         "new_password": "brand new passphrase", "confirm_password": "brand new passphrase"})
    assert laptop.get("/staff").status_code == 200
    assert phone.get("/staff").status_code == 302


def test_staff_pages_are_never_cached_or_indexed(desk, reference):
    for path in ["/staff", f"/staff/requests/{reference}", "/staff/outbox", "/staff/login"]:
        headers = desk.get(path).headers
        assert headers["Cache-Control"] == "no-store", path
        assert headers["X-Robots-Tag"] == "noindex, nofollow", path


def test_log_out(desk):
    token = csrf_from(desk, "/staff")
    assert desk.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    assert desk.get("/staff").status_code == 302


def test_administrators_add_and_disable_staff(app, boss, desk):
    assert desk.get("/staff/team").status_code == 403
    token = csrf_from(boss, "/staff/team")
    added = boss.post("/staff/team", data={"csrf_token": token, "email": "New@Clinic.example", "password": "first passphrase!"})
    assert added.status_code == 303
    duplicate = boss.post("/staff/team", data={"csrf_token": token, "email": "new@clinic.example", "password": "first passphrase!"})
    assert "There is already an account with that email address." in duplicate.get_data(as_text=True)
    assert log_in(app.test_client(), "new@clinic.example", "first passphrase!").status_code == 303

    with app.app_context():
        desk_id = db.session.execute(db.select(StaffUser.id).filter_by(email="desk@clinic.test")).scalar_one()
        boss_id = db.session.execute(db.select(StaffUser.id).filter_by(email="boss@clinic.test")).scalar_one()
    assert boss.post(f"/staff/team/{desk_id}/enabled", data={"csrf_token": token}).status_code == 303
    assert desk.get("/staff").status_code == 302  # the disabled member's session ends at once
    boss.post(f"/staff/team/{boss_id}/enabled", data={"csrf_token": token})
    assert boss.get("/staff").status_code == 200  # an administrator cannot lock themselves out


def test_create_staff_command(app, runner):
    by_stdin = runner.invoke(args=["create-staff", "Owner@Clinic.test", "--admin", "--password-stdin"],
                             input="owner passphrase 1\n")
    assert by_stdin.exit_code == 0, by_stdin.output
    prompted = runner.invoke(args=["create-staff", "front@clinic.test"], input="front passphrase 1\nfront passphrase 1\n")
    assert prompted.exit_code == 0, prompted.output
    short = runner.invoke(args=["create-staff", "short@clinic.test", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    again = runner.invoke(args=["create-staff", "owner@clinic.test", "--password-stdin"], input="owner passphrase 2\n")
    assert again.exit_code != 0 and "already a staff account" in again.output
    with app.app_context():
        owner = db.session.execute(db.select(StaffUser).filter_by(email="owner@clinic.test")).scalar_one()
        front = db.session.execute(db.select(StaffUser).filter_by(email="front@clinic.test")).scalar_one()
    assert owner.is_admin and not front.is_admin
    assert owner.password_hash.startswith("scrypt:")
    assert "owner passphrase 1" not in owner.password_hash
