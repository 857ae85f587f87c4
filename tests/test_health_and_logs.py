"""/healthz tells a monitor two things only; every log line is one line with the request's id, in text or JSON."""

import json
import logging
import sys
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.logs import JsonFormatter, RequestIdFilter, TextFormatter
from booking.models import Notification, utcnow
from tests.client import hidden_fields
from tests.conftest import valid_answers
from tests.factories import make_notification, make_request
from tests.fixtures.servers import migrated_sqlite, process_env, start_gunicorn, stop, wait_for

DESCRIPTION = "Stabbing pain after my knee surgery in March"


def test_health_reports_the_database_and_the_oldest_due_email_and_nothing_else(app, client):
    assert client.get("/healthz").get_json() == {"database": "ok", "oldest_undelivered_email_seconds": 0}
    with app.app_context():
        request = make_request(notifications=False)
        make_notification(request, send_after=utcnow() - timedelta(seconds=90))  # due a minute and a half ago
        make_notification(request, send_after=utcnow() + timedelta(hours=2))  # a reminder: not due yet
        make_notification(request, send_after=utcnow() - timedelta(days=3), status="sent")  # delivered
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert set(answer) == {"database", "oldest_undelivered_email_seconds"}
    assert answer["database"] == "ok" and 89 <= answer["oldest_undelivered_email_seconds"] <= 100
    assert "Maria" not in response.get_data(as_text=True)


def test_health_says_503_and_no_age_when_the_database_is_gone(tmp_path):
    from booking import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/gone/booking.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "unavailable", "oldest_undelivered_email_seconds": None}


@pytest.mark.parametrize("offered, kept", [
    ("abc-123", True),
    ("0f6c2a1e-5b7d-4c1e-9e8a-2d3f4a5b6c7d", True),
    ("lb.example:7f3a@edge", True),
    ("", False),
    ("has spaces", False),
    ("x" * 129, False),
    ("evil\\n[INFO] forged line", False),
    ("<script>", False),
])
def test_a_sane_request_id_is_kept_any_other_is_replaced(client, offered, kept):
    response = client.get("/", headers={"X-Request-ID": offered} if offered else {})
    given = response.headers["X-Request-ID"]
    if kept:
        assert given == offered
    else:
        assert given != offered and len(given) == 32 and int(given, 16) >= 0


def test_each_request_gets_its_own_id_errors_too(client):
    ids = {client.get(path).headers["X-Request-ID"] for path in ("/", "/", "/no-such-page", "/healthz")}
    assert len(ids) == 4


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    made = logging.LogRecord("booking", logging.ERROR, __file__, 1, message, args, exc_info)
    RequestIdFilter().filter(made)
    return made


def test_a_multi_line_event_stays_one_line_in_both_formats():
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        failure = sys.exc_info()
    for formatter in (TextFormatter(), JsonFormatter()):
        line = formatter.format(record("Reference %s\n[INFO] forged", "JPT-AAAA-BBBB", exc_info=failure))
        assert "\n" not in line and "\r" not in line
    entry = json.loads(JsonFormatter().format(record("Reference %s", "JPT-AAAA-BBBB", exc_info=failure)))
    assert entry["message"] == "Reference JPT-AAAA-BBBB" and entry["request_id"] == "-"
    assert "ValueError" in entry["error"]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_served_request_logs_its_event_on_one_line_with_its_id_and_no_health_detail(tmp_path, log_format):
    env = process_env(cleared=("LOG_",), BOOKING_ENV="development",
                      DATABASE_URL=migrated_sqlite(f"sqlite:///{tmp_path / 'clinic.sqlite3'}"),
                      INSTANCE_PATH=tmp_path / "instance", OUTBOX_WORKER="off", LOG_FORMAT=log_format)
    errors, access = tmp_path / "stderr.log", tmp_path / "stdout.log"
    with open(errors, "wb") as err, open(access, "wb") as out:
        server, base = start_gunicorn(env, stdout=out, stderr=err)
    try:
        wait_for(f"{base}/healthz", server=server)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"{base}/consultation", timeout=10).read().decode()
        form = {**hidden_fields(page, "/consultation"), **valid_answers(description=DESCRIPTION)}
        posted = urllib.request.Request(f"{base}/consultation", data=urllib.parse.urlencode(form, doseq=True).encode(),
                                        headers={"X-Request-ID": "clinic-req-42"})
        with opener.open(posted, timeout=10) as answer:
            assert answer.url.endswith("/consultation/sent")
    finally:
        stop(server)

    lines = errors.read_text().splitlines()
    [stored] = [line for line in lines if "Consultation request JPT-" in line]
    if log_format == "json":
        entry = json.loads(stored)
        assert entry["request_id"] == "clinic-req-42" and entry["level"] == "INFO"
        assert entry["message"].startswith("Consultation request JPT-") and entry["message"].endswith(" stored")
    else:
        assert "INFO booking [clinic-req-42]: Consultation request JPT-" in stored
    assert any("id=clinic-req-42" in line for line in access.read_text().splitlines())  # the access line too
    everything = errors.read_text() + access.read_text()
    for detail in (DESCRIPTION, "Maria", "maria@example.org", "555-0123", "blood", "needle"):
        assert detail not in everything


def test_an_operation_logs_its_change_only_once_the_caller_commits(app, caplog):
    """Operations do not commit (their caller does, once): a line written at once would tell of a change
    the database could still refuse. The line waits for the commit, and a rollback takes it away."""
    from booking.appointments.operations.practitioners import add_practitioner

    def said() -> list[str]:
        return [record.getMessage() for record in caplog.records if record.getMessage().startswith("Practitioner ")]

    with app.app_context(), caplog.at_level(logging.INFO, logger="booking"):
        add_practitioner("Avery Lee", "mon 09:00-12:00")
        assert said() == []  # not yet committed
        db.session.rollback()
        assert said() == []
        kept = add_practitioner("Blair Kim", "tue 09:00-12:00")
        db.session.commit()
        assert said() == [f"Practitioner {kept.id} added"]
        db.session.commit()  # a later transaction does not say it again
        assert said() == [f"Practitioner {kept.id} added"]
