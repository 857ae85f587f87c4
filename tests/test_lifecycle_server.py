"""The front desk's click reaches the patient within seconds, on a server started the way `make run` starts it:
gunicorn with threads, the in-process sender on, a real SMTP server, and the real clock."""

import html
import http.cookiejar
import re
import secrets
import time
import urllib.parse
import urllib.request

from booking import create_app
from booking.extensions import db
from tests.fixtures.smtp import free_port
from tests.fixtures.staff import authenticator_code
from tests.factories import PASSWORD, make_practitioner, make_staff
from tests.conftest import valid_answers
from tests.fixtures.servers import migrated_sqlite, start_gunicorn, stop, wait_for

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SLOT = re.compile(r'name="slot" type="radio" value="([^"]+)"')
TOKEN = re.compile(r'name="submission_token"[^>]*value="([^"]+)"')


class Browser:
    """Cookies kept, redirects followed: what a person's browser does, over real HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict | list) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        with self.opener.open(self.base + path, data=data, timeout=10) as response:
            return response.status, response.geturl()


def test_a_staff_confirmation_reaches_the_patient_within_5_seconds_under_gunicorn(operator_env, smtp, tmp_path):
    secret = secrets.token_hex(32)
    env = {**operator_env, "OUTBOX_WORKER": "true", "OUTBOX_POLL_SECONDS": "600", "SECRET_KEY": secret}
    migrated_sqlite(env["DATABASE_URL"])
    desk_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": secret,
                           "OUTBOX_WORKER": False})
    with desk_app.app_context():
        make_practitioner("Avery Lee", hours="mon-sun 00:00-23:55")
        make_staff("desk@clinic.test")
        db.session.remove()

    port = free_port()
    server, base = start_gunicorn({**env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}, "--threads", "4", port=port)
    try:
        wait_for(base + "/", server=server)
        patient = Browser(base)
        form = patient.get("/consultation")
        answers = {**valid_answers(), "slot": html.unescape(SLOT.search(form).group(1)),
                   "csrf_token": CSRF.search(form).group(1), "submission_token": TOKEN.search(form).group(1)}
        status, _ = patient.post("/consultation", answers)
        assert status == 200  # after the redirect to the "sent" page
        deadline = time.monotonic() + 10
        while len(smtp.messages) < 2 and time.monotonic() < deadline:  # the acknowledgement and the clinic's notice
            time.sleep(0.05)
        assert len(smtp.messages) == 2

        desk = Browser(base)
        login = desk.get("/staff/login")
        status, landed = desk.post("/staff/login", {"email": "desk@clinic.test", "password": PASSWORD,
                                                    "csrf_token": CSRF.search(login).group(1)})
        second = desk.get(urllib.parse.urlsplit(landed).path)
        desk.post("/staff/two-step", {"code": authenticator_code(desk_app, "desk@clinic.test"),
                                      "csrf_token": CSRF.search(second).group(1)})
        inbox = desk.get("/staff")
        reference = re.search(r"JPT-[0-9A-Z]{4}-[0-9A-Z]{4}", inbox).group(0)
        page = desk.get(f"/staff/requests/{reference}")
        assert "Confirm this time" in page
        clicked = time.monotonic()
        status, _ = desk.post(f"/staff/requests/{reference}/time/confirm", {"csrf_token": CSRF.search(page).group(1)})
        assert status == 200
        while time.monotonic() - clicked < 5 and not any("is confirmed" in m["Subject"] for m in smtp.messages):
            time.sleep(0.05)
        elapsed = time.monotonic() - clicked
        assert any("is confirmed" in m["Subject"] for m in smtp.messages), "no confirmation within 5 s"
        assert elapsed < 5
    finally:
        stop(server)
        with desk_app.app_context():
            db.engine.dispose()
