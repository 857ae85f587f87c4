"""What a new user tripped on (issue 6): safe mailto links, any page number, even login timing, one log line."""

import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from packaging.requirements import Requirement

from booking.extensions import db
from booking.models import ConsultationRequest
from booking.staff.operations import accounts as account
from booking.staff.operations.accounts import create_staff
from tests.factories import PASSWORD, make_request
from tests.fixtures.staff import log_in

ROOT = Path(__file__).resolve().parent.parent


def test_a_patients_email_address_cannot_add_recipients_to_a_staff_reply(app, desk):
    sneaky = "x?cc=spy%40evil.test&body=@example.com"  # a valid address (RFC 5322 local part)
    with app.app_context():
        reference = make_request(email=sneaky).reference
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    start = page.index('href="mailto:') + len('href="')
    href = page[start:page.index('"', start)].replace("&amp;", "&")
    link = urlsplit(href)
    assert list(parse_qs(link.query)) == ["subject"]
    assert unquote(link.path) == sneaky


@pytest.mark.parametrize("page", ["10000000000000000000", "99999", "-5", "0", "abc"])
def test_any_page_number_gives_a_page_of_the_inbox(app, desk, page):
    with app.app_context():
        reference = make_request().reference
    response = desk.get(f"/staff?page={page}")
    assert response.status_code == 200
    assert reference in response.get_data(as_text=True)


@pytest.mark.parametrize("enabled", [True, False])
def test_a_login_runs_the_password_hash_whether_or_not_the_account_is_enabled(app, client, monkeypatch, enabled):
    with app.app_context():
        staff = create_staff("desk@clinic.test", PASSWORD)
        staff.enabled = enabled
        db.session.commit()
    calls = []
    real = account.StaffUser.check_password

    def counting(self, password):
        calls.append(self.email)
        return real(self, password)

    monkeypatch.setattr(account.StaffUser, "check_password", counting)
    response = log_in(client, "desk@clinic.test", "a wrong password here")
    assert response.status_code == 200
    assert calls == ["desk@clinic.test"]


ONE_EVENT = """
from flask_migrate import upgrade
from booking import create_app
app = create_app()
with app.app_context():
    upgrade()  # Alembic's fileConfig gives the root logger a handler, as `flask db upgrade` does
    app.logger.info("one event")
"""


def test_one_event_gives_one_log_line(tmp_path):
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env["BOOKING_ENV"] = "development"
    done = subprocess.run([sys.executable, "-c", ONE_EVENT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "one event" in line] == ["INFO  [booking] one event"]


def test_every_sqlite_connection_overwrites_deleted_rows_even_where_sqlite_was_built_without_it(tmp_path):
    from booking import _tune_sqlite

    connection = sqlite3.connect(tmp_path / "x.sqlite3")
    connection.execute("PRAGMA secure_delete=OFF")  # as on a build without SQLITE_SECURE_DELETE
    _tune_sqlite(connection, None)
    assert connection.execute("PRAGMA secure_delete").fetchone() == (1,)
    connection.close()


def test_every_sqlite_connection_syncs_each_commit_to_disk_whatever_the_build_default(tmp_path):
    from booking import _tune_sqlite

    connection = sqlite3.connect(tmp_path / "x.sqlite3")
    connection.execute("PRAGMA synchronous=NORMAL")  # as on a build with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1
    _tune_sqlite(connection, None)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    connection.close()


def test_an_erased_answer_is_not_left_readable_in_the_database_file(app, submit, tmp_path):
    submit(description="Unmistakable-heel-secret " * 20)
    with app.app_context():
        req = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        db.session.delete(req)
        db.session.commit()
        db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
    data = (tmp_path / "booking.sqlite3").read_bytes()
    assert b"Unmistakable-heel-secret" not in data


def test_the_privacy_notice_says_what_purge_does(tmp_path):
    from tests.conftest import make_app

    page = make_app(tmp_path, RETENTION_DAYS=200).test_client().get("/privacy").get_data(as_text=True)
    assert "We keep your request for 200 days after anything last happened to it" in page
    assert "whatever stage it reached" in page


def test_gunicorn_releases_with_the_request_smuggling_advisory_are_not_admitted():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    gunicorn = next(Requirement(dep) for dep in project["dependencies"] if dep.startswith("gunicorn"))
    assert not gunicorn.specifier.contains("22.0.0") and gunicorn.specifier.contains("23.0.0")
