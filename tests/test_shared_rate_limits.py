"""Rate limits counted in a real redis-server hold across servers; per-process counting is warned about."""

import logging
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.client import hidden_fields
from tests.conftest import free_port, open_form, valid_answers
from tests.fixtures.servers import gunicorn, migrated_sqlite, process_env

WARNING = "each counts alone"


def server_env(tmp_path, **extra) -> dict:
    return process_env(cleared=("RATELIMIT_", "WEB_CONCURRENCY"),
                       DATABASE_URL=migrated_sqlite(f"sqlite:///{tmp_path / 'clinic.sqlite3'}"),
                       INSTANCE_PATH=tmp_path / "instance", OUTBOX_WORKER="off",
                       SECRET_KEY="the-same-secret-for-both-servers", SUBMIT_RATE_LIMIT="5 per minute", **extra)


def submit_over_http(base: str, name: str) -> int:
    """One patient: GET the form, POST valid answers; the status of the POST, without following redirects."""
    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), NoRedirects)
    page = opener.open(f"{base}/consultation", timeout=10).read().decode()
    form = {**hidden_fields(page, "/consultation"), **valid_answers(name=name)}
    try:
        with opener.open(f"{base}/consultation", data=urllib.parse.urlencode(form, doseq=True).encode(),
                         timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as answer:
        return answer.code


def statuses_across(urls, submissions: int) -> list[int]:
    return [submit_over_http(urls[n % len(urls)], f"Patient {n}") for n in range(submissions)]


def test_five_per_minute_stays_five_across_two_servers_sharing_redis(tmp_path, redis_url):
    with gunicorn(server_env(tmp_path, RATELIMIT_STORAGE_URI=redis_url), "--workers", "2", count=2,
                  logs=tmp_path) as urls:
        statuses = statuses_across(urls, 12)
    assert statuses[:5] == [303] * 5
    assert statuses[5:] == [429] * 7  # from either server, whichever worker answered
    assert not any(WARNING in (tmp_path / f"server-{n}.log").read_text() for n in range(2))


def test_without_a_shared_store_each_server_counts_alone_and_says_so(tmp_path):
    """The control: the same two servers on memory:// let twice the limit through, and warn at start-up."""
    with gunicorn(server_env(tmp_path, RATELIMIT_STORAGE_URI="memory://"), "--workers", "2", count=2,
                  logs=tmp_path) as urls:
        # One server at a time in turn, one process each: on memory:// each of the four workers could hold a count.
        statuses = statuses_across(urls, 12)
    assert statuses.count(303) > 5
    for n in range(2):
        log = (tmp_path / f"server-{n}.log").read_text()
        assert f"memory:// with 2 workers: {WARNING}" in log  # --workers 2 reached the app through the config hook


@pytest.mark.parametrize("storage, workers, warned", [
    ("memory://", "3", True),
    ("memory://", "1", False),
    ("memory://", None, False),
    ("redis://127.0.0.1:6379/0", "4", False),
])
def test_the_start_up_warning_follows_the_storage_and_the_worker_count(make_app, monkeypatch, caplog,
                                                                      storage, workers, warned):
    if workers is None:
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("WEB_CONCURRENCY", workers)
    with caplog.at_level(logging.WARNING):
        make_app(MAIL_SERVER="", RATELIMIT_STORAGE_URI=storage)
    assert any(WARNING in record.getMessage() for record in caplog.records) is warned


def test_a_redis_outage_does_not_turn_a_patient_away(make_app):
    """If the shared store stops answering, each process counts for itself meanwhile; the request is stored."""
    dead_port = free_port()
    app = make_app(MAIL_SERVER="", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{dead_port}/0",
                   SUBMIT_RATE_LIMIT="5 per minute")
    client = app.test_client()
    assert client.post("/consultation", data={**open_form(client), **valid_answers()}).status_code == 303
