"""The database itself refuses a double booking: 20 patients take one time at once across two gunicorn servers.

Each server runs two worker processes, so four processes race for the same time on the same database.
Nothing is mocked: real migrations (the session's migrated template), real HTTP, real PostgreSQL and a real
SQLite file. Exactly one patient may win; the other 19 get the form back, and no request of theirs is stored.
The two servers start once per database for the module's races; each race counts what it added.
"""

import http.cookiejar
import itertools
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from booking import create_app
from booking.extensions import db
from booking.appointments.operations import TIME_TAKEN
from booking.models import Practitioner
from tests.client import hidden_fields
from tests.conftest import valid_answers
from tests.fixtures.servers import gunicorn, migrated_sqlite, process_env

PATIENTS = 20
SLOT = re.compile(r'name="slot" type="radio" value="([^"]+)"')
REFERENCE = re.compile(r"JPT-[2-9A-Z]{4}-[2-9A-Z]{4}")
_names = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated database on SQLite (one file both servers share) and on PostgreSQL, for this module's races."""
    if request.param == "sqlite":
        return migrated_sqlite(f"sqlite:///{tmp_path_factory.mktemp('race') / 'clinic.sqlite3'}")
    return request.getfixturevalue("postgres").create_database(
        f"race_{next(_names)}", template=request.getfixturevalue("postgres_template"))


@pytest.fixture(scope="module")
def server_env(tmp_path_factory, database_url) -> dict:
    """What an operator would set for two servers on one database; the same secret, so either reads a session."""
    return process_env(
        DATABASE_URL=database_url,
        INSTANCE_PATH=tmp_path_factory.mktemp("instance"),
        OUTBOX_WORKER="false",
        SUBMIT_RATE_LIMIT="1000 per minute",
        SECRET_KEY="the-same-secret-for-both-servers",
    )


@pytest.fixture(scope="module")
def practitioner(server_env):
    """One practitioner who works every day, all day, so the real clock always finds a time to fight over."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": server_env["DATABASE_URL"], "TESTING": True})
    with app.app_context():
        db.session.add(Practitioner(name="Avery Lee", hours="mon-sun 00:00-23:55"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def two_servers(server_env, practitioner):
    """Two gunicorn servers, two workers each, on the same database: the base URLs."""
    with gunicorn(server_env, "--workers", "2", count=2) as urls:
        yield urls


def stored(server_env) -> dict:
    """What the races write, as it stands: row counts, the stored requests' (reference, name), a cell's minutes."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": server_env["DATABASE_URL"], "TESTING": True})
    with app.app_context():
        count = lambda table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: E731
        now = {table: count(table) for table in ("appointment", "booked_cell", "notification")}
        now["requests"] = {tuple(row) for row in db.session.execute(
            text("SELECT reference, name FROM consultation_request"))}
        now["cells per time"] = app.config["CONSULTATION_MINUTES"] // 5
        db.session.remove()
        db.engine.dispose()
    return now


def added(before: dict, after: dict) -> dict:
    """What one race added: the new rows of each table counted, and the new requests themselves."""
    return {**{table: after[table] - before[table] for table in ("appointment", "booked_cell", "notification")},
            "requests": after["requests"] - before["requests"], "cells per time": after["cells per time"]}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 303 itself is the answer we count


class Patient:
    """One browser: its own cookie jar, talking to one server."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def same_browser_on(self, base: str) -> "Patient":
        """Another press of Send in this browser (its cookies, so its CSRF secret), reaching `base`."""
        press = Patient(base)
        for cookie in self.jar:
            press.jar.set_cookie(cookie)
        return press

    def get_form(self) -> str:
        with self.opener.open(f"{self.base}/consultation", timeout=30) as response:
            return response.read().decode()

    def reference_shown(self) -> str:
        """The reference the confirmation page gives this browser."""
        with self.opener.open(f"{self.base}/consultation/sent", timeout=30) as response:
            return REFERENCE.search(response.read().decode()).group(0)

    def post_form(self, form: dict) -> tuple[int, str, str]:
        """(status, Location, body) of posting the form, without following a redirect."""
        body = urllib.parse.urlencode(form, doseq=True).encode()
        try:
            with self.opener.open(f"{self.base}/consultation", data=body, timeout=60) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as answer:  # 3xx (not followed), 4xx and 5xx land here
            return answer.code, answer.headers.get("Location", ""), answer.read().decode()


def a_time_offered(page: str) -> str:
    """The third-earliest time the form offers: at least an hour clear of the notice period's edge.

    The earliest lies anywhere up to half an hour past now + BOOKING_MIN_NOTICE_HOURS; if the edge
    passes it between drawing the form and the servers' check, every patient gets "just taken", and
    these servers are other processes, so the test cannot hold their clock still.
    """
    times = sorted((value for value in SLOT.findall(page) if value != "none"), key=datetime.fromisoformat)
    assert len(times) >= 3, "the form offers fewer than three times"
    return times[2]


def test_twenty_patients_at_once_across_two_servers_one_gets_the_time(two_servers, server_env):
    before = stored(server_env)
    patients = [Patient(two_servers[n % 2]) for n in range(PATIENTS)]
    pages = [patient.get_form() for patient in patients]
    wanted = a_time_offered(pages[0])
    assert all(wanted in SLOT.findall(page) for page in pages)
    forms = [{**hidden_fields(page, "/consultation"), **valid_answers(slot=wanted, name=f"Patient {n}")}
             for n, page in enumerate(pages)]
    assert all(form["csrf_token"] and form["submission_token"] for form in forms)

    start_together = threading.Barrier(PATIENTS)
    answers: list = [None] * PATIENTS

    def take_the_time(n: int) -> None:
        start_together.wait()
        answers[n] = patients[n].post_form(forms[n])

    threads = [threading.Thread(target=take_the_time, args=(n,)) for n in range(PATIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] * (PATIENTS - 1) + [303], statuses  # no 500, no 503, no second winner
    [winner] = [n for n, (status, _, _) in enumerate(answers) if status == 303]
    assert urllib.parse.urlsplit(answers[winner][1]).path == "/consultation/sent"
    for n, (status, _, body) in enumerate(answers):
        if n != winner:
            assert TIME_TAKEN in body
            assert f'value="Patient {n}"' in body  # every answer kept on screen
            assert wanted not in SLOT.findall(body)  # fresh times, without the one just taken

    race = added(before, stored(server_env))
    assert race["appointment"] == 1
    assert race["booked_cell"] == race["cells per time"]
    assert len(race["requests"]) == 1  # the losers' answers came back on screen, not into the inbox
    assert [name for _, name in race["requests"]] == [f"Patient {winner}"]


@pytest.mark.parametrize("with_time", [True, False], ids=["a chosen time", "no time"])
def test_the_same_form_sent_twenty_times_at_once_is_one_request(two_servers, server_env, with_time):
    """A patient's Send pressed again and again, arriving together at both servers: every press is answered with
    the one reference, and the request, its time and its two emails are stored once (the insert's ON CONFLICT
    on the submission token decides, not a check before it)."""
    before = stored(server_env)
    browser = Patient(two_servers[0])
    page = browser.get_form()
    form = {**hidden_fields(page, "/consultation"),
            **valid_answers(slot=a_time_offered(page) if with_time else "none")}
    presses = [browser.same_browser_on(two_servers[n % 2]) for n in range(PATIENTS)]
    start_together = threading.Barrier(PATIENTS)
    answers: list = [None] * PATIENTS

    def press_send(n: int) -> None:
        start_together.wait()
        status, location, _ = presses[n].post_form(form)
        answers[n] = (status, urllib.parse.urlsplit(location).path, presses[n].reference_shown())

    threads = [threading.Thread(target=press_send, args=(n,)) for n in range(PATIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert {(status, path) for status, path, _ in answers} == {(303, "/consultation/sent")}
    race = added(before, stored(server_env))
    [(reference, _)] = race["requests"]
    assert {shown for _, _, shown in answers} == {reference}
    assert race["notification"] == 2
    assert race["appointment"] == (1 if with_time else 0)
    assert race["booked_cell"] == (race["cells per time"] if with_time else 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_app(request, make_app):
    """The app on a migrated SQLite file and on a migrated PostgreSQL database."""
    if request.param == "sqlite":
        return make_app(MAIL_SERVER="")
    return make_app(MAIL_SERVER="", SQLALCHEMY_DATABASE_URI=request.getfixturevalue("postgres_url"))


def store_a_held_time_and_a_waiting_patient(app) -> None:
    """One request holding a time (an appointment row) and one waiting for a time (a waitlist row)."""
    with app.app_context():
        db.session.add(Practitioner(name="Avery Lee", hours="mon-sun 00:00-23:55"))
        db.session.commit()
    client = app.test_client()
    wanted = a_time_offered(client.get("/consultation").get_data(as_text=True))
    assert client.post_form("/consultation", valid_answers(slot=wanted)).status_code == 303
    waiting = app.test_client()
    assert waiting.post_form("/consultation", valid_answers(slot="none", waitlist="y")).status_code == 303


@pytest.mark.parametrize("table", ["appointment", "waitlist_entry"])
def test_a_status_typo_is_refused_by_the_database(any_db_app, table):
    store_a_held_time_and_a_waiting_patient(any_db_app)
    with any_db_app.app_context():
        assert db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 1
        with pytest.raises(IntegrityError):
            db.session.execute(text(f"UPDATE {table} SET status = 'nwe'"))
            db.session.commit()
        db.session.rollback()
        assert db.session.execute(text(f"SELECT status FROM {table}")).scalar_one() != "nwe"


def test_two_cancellations_at_once_send_one_cancellation(app):
    """Two tabs press Cancel together: the conditional update lets one through; one set of emails is owed."""
    import threading

    from booking.lifecycle import operations
    from booking.models import Appointment, Notification
    from tests.factories import make_confirmed_appointment

    with app.app_context():
        appointment_id = make_confirmed_appointment().id
    barrier = threading.Barrier(2)
    outcomes = []

    def press_cancel():
        with app.app_context():
            appointment = db.session.get(Appointment, appointment_id)
            barrier.wait()
            try:
                operations.cancel_time(appointment.consultation_request)
                db.session.commit()
                outcomes.append("cancelled")
            except operations.NotAllowed:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press_cancel) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["cancelled", "refused"]
    with app.app_context():
        kinds = [k for k in db.session.execute(db.select(Notification.kind)).scalars()
                 if "cancelled" in k or k == "clinic_patient_action"]
    assert sorted(kinds) == ["appointment_cancelled", "clinic_patient_action"]
