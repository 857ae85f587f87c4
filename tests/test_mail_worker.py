"""`flask send-mail --watch` as a real process: woken by new mail, honours scheduled times, stops cleanly on SIGTERM.

The web servers run with OUTBOX_WORKER=off, so the only sender is the worker under test.
"""

import signal
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import Notification, utcnow
from tests.client import hidden_fields
from tests.conftest import valid_answers
from tests.factories import make_notification, make_request
from tests.fixtures.servers import process_env, start_gunicorn, start_mail_worker, wait_for
from tests.fixtures.servers import stop as stop_servers


def worker_env(app, tmp_path, **extra) -> dict:
    """What an operator sets for a worker or server on the same database and mail server as `app`."""
    return process_env(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_PATH=tmp_path / "instance",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=app.config["MAIL_PORT"],
        MAIL_DEFAULT_SENDER=app.config["MAIL_DEFAULT_SENDER"],
        CLINIC_EMAIL=",".join(app.config["CLINIC_EMAIL"]),
        SECRET_KEY="a-secret-shared-by-every-process",
        OUTBOX_WORKER="off",
        **extra,
    )


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def stop(worker: subprocess.Popen) -> int:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    return worker.wait(15)


def statuses(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.execute(db.select(Notification.status, Notification.claim_token)
                                  .order_by(Notification.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_web_servers_only_enqueue_and_the_watching_worker_delivers(make_app, smtp, tmp_path):
    app = make_app()
    env = worker_env(app, tmp_path, OUTBOX_WATCH_POLL_SECONDS="1")
    server, base = start_gunicorn(env, "--workers", "2")
    worker = None
    try:
        wait_for(f"{base}/healthz", server=server)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"{base}/consultation", timeout=10).read().decode()
        form = {**hidden_fields(page, "/consultation"), **valid_answers()}
        with opener.open(f"{base}/consultation",
                         data=urllib.parse.urlencode(form, doseq=True).encode(), timeout=10) as answer:
            assert answer.url.endswith("/consultation/sent")
        # OUTBOX_WORKER=off: the web process stored the emails; the worker's log below says it sent both.
        assert [status for status, _ in statuses(app)] == ["pending", "pending"]

        worker = start_mail_worker(env, tmp_path / "worker.log")
        wait_until(lambda: len(smtp.messages) == 2, 15, "the worker to deliver both emails")
        assert {m["To"] for m in smtp.messages} == {"frontdesk@clinic.test", "maria@example.org"}
        assert stop(worker) == 0
    finally:
        stop_servers(server)
        if worker is not None and worker.poll() is None:
            worker.kill()
    log = (tmp_path / "worker.log").read_text()
    assert "Mail worker started (polling)" in log
    assert "Mail pass: 2 sent, 0 failed" in log
    assert "Maria" not in log and "maria@example.org" not in log  # no patient detail in a log line
    assert log.rstrip().endswith("Mail worker stopped")


def test_on_postgresql_a_commit_wakes_the_worker_at_once(make_app, smtp, postgres_url, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=postgres_url)
    # Polling alone would take a minute: only LISTEN/NOTIFY can bring the email sooner.
    worker = start_mail_worker(worker_env(app, tmp_path, OUTBOX_WATCH_POLL_SECONDS="60"), tmp_path / "worker.log")
    try:
        # Past its first (empty) pass, asleep on LISTEN: only a wake-up can bring the email now.
        wait_until(lambda: "Mail pass:" in (tmp_path / "worker.log").read_text(), 20, "the worker's first pass")
        started = time.monotonic()
        client = app.test_client()
        assert client.post_form("/consultation", valid_answers()).status_code == 303  # enqueue() sends the NOTIFY
        wait_until(lambda: len(smtp.messages) == 2, 20, "the NOTIFY to wake the worker")
        assert time.monotonic() - started < 20  # a third of the poll: room for a slow machine, none for a poll
        assert stop(worker) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert "Mail worker started (LISTEN/NOTIFY)" in (tmp_path / "worker.log").read_text()
    assert statuses(app) == [("sent", None), ("sent", None)]


def test_a_scheduled_email_waits_for_its_time_then_goes_without_a_poll(make_app, smtp, tmp_path):
    app = make_app()
    with app.app_context():
        request = make_request(notifications=False)
        due = make_notification(request, send_after=utcnow() + timedelta(seconds=8)).send_after
        db.session.remove()
    log = tmp_path / "worker.log"
    worker = start_mail_worker(worker_env(app, tmp_path, OUTBOX_WATCH_POLL_SECONDS="60"), log)
    try:
        wait_until(lambda: "Mail pass:" in log.read_text(), 20, "the worker's first pass")
        wait_until(lambda: len(smtp.messages) == 1, 15, "the scheduled email")  # well before the 60 s poll
        assert stop(worker) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert "Mail pass: 0 sent" in log.read_text()  # idle with the email pending: not before its time
    with app.app_context():
        assert db.session.execute(db.select(Notification.sent_at)).scalar_one() >= due


def test_sigterm_finishes_the_email_in_hand_and_hands_the_rest_back(make_app, smtp, tmp_path):
    app = make_app()
    with app.app_context():
        for _ in range(2):
            make_request()  # four emails, claimed in one batch
        db.session.remove()
    smtp.handler.release.clear()  # the mail server holds the first message inside DATA
    worker = start_mail_worker(worker_env(app, tmp_path), tmp_path / "worker.log")
    try:
        assert smtp.handler.received.wait(20), "the worker never started sending"
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert worker.poll() is None  # still finishing the message in hand
        smtp.handler.release.set()
        assert worker.wait(10) == 0
    finally:
        smtp.handler.release.set()
        if worker.poll() is None:
            worker.kill()
    assert len(smtp.messages) == 1
    assert sorted(statuses(app)) == [("pending", None)] * 3 + [("sent", None)]  # unclaimed: the next worker takes them
    assert "Mail pass: 1 sent" in (tmp_path / "worker.log").read_text()
    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    assert len(smtp.messages) == 4 and len({m["Message-ID"] for m in smtp.messages}) == 4


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_idle_worker_stops_at_once(make_app, smtp, tmp_path, signum):
    app = make_app()
    worker = start_mail_worker(worker_env(app, tmp_path, OUTBOX_WATCH_POLL_SECONDS="60"), tmp_path / "worker.log")
    try:
        wait_until(lambda: "Mail pass:" in (tmp_path / "worker.log").read_text(), 20, "the first pass")
        started = time.monotonic()
        worker.send_signal(signum)
        assert worker.wait(20) == 0
        assert time.monotonic() - started < 10  # not the 60-second poll
    finally:
        if worker.poll() is None:
            worker.kill()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_batch_claims_at_most_its_size_and_two_batches_never_overlap(make_app, request, database):
    config = {} if database == "sqlite" else {"SQLALCHEMY_DATABASE_URI": request.getfixturevalue("postgres_url")}
    app = make_app(MAIL_SERVER="", **config)
    from booking.outbox.claims import claim_batch

    with app.app_context():
        for _ in range(15):
            make_request()  # 30 emails due
        first, second, third = (claim_batch(utcnow(), 12) for _ in range(3))
        assert (len(first.ids), len(second.ids), len(third.ids)) == (12, 12, 6)
        assert not set(first.ids) & set(second.ids) and not set(second.ids) & set(third.ids)
        assert claim_batch(utcnow(), 12).ids == []
        db.session.remove()
