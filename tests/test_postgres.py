"""The same app on a real PostgreSQL server: migrations, the outbox's claims, the inbox's search and purge."""

import socket
import tempfile
import threading
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from booking.extensions import db
from booking.models import ConsultationRequest, Notification
from booking.outbox.delivery import deliver_due
from tests.conftest import open_form, valid_answers
from tests.fixtures.postgres import PostgresServer


@pytest.fixture
def pg_app(make_app, postgres_url):
    """The app on its own clean, migrated database on the session's PostgreSQL server."""
    return make_app(SQLALCHEMY_DATABASE_URI=postgres_url)


def test_migrations_go_up_down_and_up_with_no_drift(make_app, empty_postgres_url):
    pg_app = make_app(SQLALCHEMY_DATABASE_URI=empty_postgres_url)  # migrated from nothing by make_app
    with pg_app.app_context():
        assert {"consultation_request", "notification", "staff_user", "request_event"} <= set(
            inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    result = pg_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_a_request_is_stored_and_delivered_once(pg_app, smtp):
    client = pg_app.test_client()
    answers = valid_answers(name="Zoë Łukasz", description="Ünïcode and a NUL-free\r\ndescription")
    form = {**open_form(client), **answers}
    assert client.post("/consultation", data=form).status_code == 303
    assert client.post("/consultation", data=form).status_code == 303  # the double submit
    result = pg_app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 2
    with pg_app.app_context():
        [stored] = db.session.execute(db.select(ConsultationRequest)).scalars().all()
        assert stored.name == "Zoë Łukasz" and stored.flagged
        assert stored.screening_flags == ["blood_thinners", "needle_fear"]


def test_two_senders_never_send_the_same_email(pg_app, smtp):
    client = pg_app.test_client()
    for _ in range(5):
        client.post("/consultation", data={**open_form(client), **valid_answers()})
    reports = []

    def sender():
        with pg_app.app_context():
            reports.append(deliver_due())
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    sent = [nid for report in reports for nid in report.sent]
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 10
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(set(m["Message-ID"] for m in smtp.messages))
    assert len(smtp.messages) == 10
    with pg_app.app_context():
        assert {n.status for n in db.session.execute(db.select(Notification)).scalars()} == {"sent"}


def test_inbox_search_and_purge_work_on_postgres(pg_app):
    from datetime import timedelta

    from booking.models import utcnow
    from booking.staff.operations.erasure import purge_expired_requests
    from booking.staff.queries import inbox_query

    client = pg_app.test_client()
    client.post("/consultation", data={**open_form(client), **valid_answers(name="Ana MIXED Case")})
    client.post("/consultation", data={**open_form(client), **valid_answers(name="Ben 100% Sure")})
    with pg_app.app_context():
        def names(**filters):
            return [r.name for r in db.session.execute(inbox_query(**filters)).scalars()]

        assert names(search="mixed case") == ["Ana MIXED Case"]  # case-insensitive
        assert names(search="100%") == ["Ben 100% Sure"]
        assert names(search="%") == ["Ben 100% Sure"]  # the wildcard is literal
        assert names(flagged=True, status="open") == ["Ben 100% Sure", "Ana MIXED Case"]
        ana = db.session.execute(db.select(ConsultationRequest).filter_by(name="Ana MIXED Case")).scalar_one()
        assert names(search="+1 541.555.0123") == ["Ben 100% Sure", "Ana MIXED Case"]  # any way it is written
        assert names(search="541 555 9999") == []
        ana.status, ana.closed_reason, ana.closed_at = "closed", "booked", utcnow() - timedelta(days=400)
        ana.created_at = utcnow() - timedelta(days=401)
        db.session.commit()
        assert purge_expired_requests(365)[0] == [ana.reference]
        db.session.commit()
        assert names() == ["Ben 100% Sure"]
        assert db.session.execute(db.select(db.func.count(Notification.id))).scalar_one() == 2


@pytest.mark.slow
def test_a_server_whose_port_was_taken_meanwhile_starts_on_another():
    """free_port() finds a port nobody listens on; another process can take it before PostgreSQL binds it."""
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="booking-pg-")))
    taken = server.port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        server.start()
        try:
            assert server.port != taken
            assert server.create_database("reachable").endswith(f":{server.port}/reachable")
        finally:
            server.stop()
