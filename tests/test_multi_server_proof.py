"""The production shape, proven: two gunicorn servers and two mail workers on one PostgreSQL database.

200 patients send the form at once across both servers (two workers each, OUTBOX_WORKER=off, limits in a
real redis-server). Part way through, one gunicorn worker and one `send-mail --watch` worker die by SIGKILL.
Every patient still ends with exactly one stored request; the real SMTP server ends with 200 clinic emails
and 200 acknowledgements; the only repeat allowed is the one email the killed mail worker had in hand,
with the same Message-ID.
"""

import http.client
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.client import hidden_fields
from tests.conftest import valid_answers
from tests.fixtures.servers import process_env, start_gunicorn, start_mail_worker, stop, wait_for

PATIENTS = 200
CLINIC = "frontdesk@clinic.test"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Patient:
    """One browser with its own cookies, on one server; it sends the form again if the connection dies."""

    def __init__(self, number: int, base: str):
        self.number, self.base = number, base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _NoRedirects)
        self.form: dict = {}
        self.tries = 0

    def open_form(self) -> None:
        with self.opener.open(f"{self.base}/consultation", timeout=60) as response:
            page = response.read().decode()
        self.form = {**hidden_fields(page, "/consultation"),
                     **valid_answers(name=f"Patient {self.number}", email=f"patient{self.number}@example.org")}

    def send(self) -> int:
        """POST the same form (same submission token) until an answer comes back, as a person pressing Send again."""
        body = urllib.parse.urlencode(self.form, doseq=True).encode()
        while True:
            self.tries += 1
            try:
                with self.opener.open(f"{self.base}/consultation", data=body, timeout=60) as response:
                    return response.status
            except urllib.error.HTTPError as answer:
                return answer.code
            except (OSError, http.client.HTTPException):  # the worker serving us was killed
                if self.tries >= 4:
                    raise
                time.sleep(0.2)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_two_servers_two_mail_workers_survive_sigkill_and_deliver_everything_once(
        tmp_path, postgres_url, smtp, redis_url):
    env = process_env(
        cleared=("RATELIMIT_", "WEB_CONCURRENCY"),
        DATABASE_URL=postgres_url, INSTANCE_PATH=tmp_path / "instance",
        SECRET_KEY="the-same-secret-for-every-process", RATELIMIT_STORAGE_URI=redis_url,
        SUBMIT_RATE_LIMIT="1000 per minute", OUTBOX_WORKER="off",
        MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port), MAIL_TIMEOUT_SECONDS="5", CLINIC_EMAIL=CLINIC,
        MAIL_DEFAULT_SENDER="Juniper Physical Therapy <no-reply@clinic.test>",
        OUTBOX_LEASE_SECONDS="10", OUTBOX_WATCH_POLL_SECONDS="1",
    )
    engine = create_engine(postgres_url)
    servers, workers, urls = [], [], []
    try:
        for n in range(2):
            server, url = start_gunicorn(env, "--workers", "2", "--backlog", "512", log=tmp_path / f"server-{n}.log")
            servers.append(server)
            urls.append(url)
            workers.append(start_mail_worker(env, tmp_path / f"mail-{n}.log", "--batch", "20"))
        for server, url in zip(servers, urls):
            wait_for(f"{url}/healthz", server=server)
        wait_until(lambda: all(len(children_of(s.pid)) == 2 for s in servers), 20, "two workers per server")

        patients = [Patient(n, urls[n % 2]) for n in range(PATIENTS)]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(Patient.open_form, patients))

        answered = Counter()
        killed = {}

        def kill_part_way() -> None:
            """SIGKILL one gunicorn worker (not its master) once 40 patients are answered, and one mail worker
            once 80 emails have arrived: each dies in the middle of the work."""
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(killed) < 2:
                if "web" not in killed and sum(answered.values()) >= 40:
                    killed["web"] = children_of(servers[0].pid)[0]
                    os.kill(killed["web"], signal.SIGKILL)
                if "mail" not in killed and len(smtp.messages) >= 80:
                    killed["mail"] = workers[0].pid
                    workers[0].kill()
                time.sleep(0.005)

        killer = threading.Thread(target=kill_part_way)
        killer.start()
        start_together = threading.Barrier(PATIENTS)

        def send(patient: Patient) -> int:
            start_together.wait()
            status = patient.send()
            answered[status] += 1
            return status

        with ThreadPoolExecutor(PATIENTS) as pool:
            statuses = list(pool.map(send, patients))
        killer.join(60)

        assert statuses == [303] * PATIENTS  # every patient saw "received", none a 500
        assert set(killed) == {"web", "mail"}, f"the kills did not happen part way: {killed}"
        assert workers[0].wait(5) == -signal.SIGKILL
        assert sum(patient.tries for patient in patients) >= PATIENTS

        def distinct_ids() -> int:
            return len({message["Message-ID"] for message in smtp.messages})

        def all_marked_sent() -> bool:
            with engine.connect() as conn:
                sent = conn.execute(text("SELECT count(*) FROM notification WHERE status = 'sent'")).scalar_one()
            return sent == 2 * PATIENTS

        # The email the killed worker had in hand may have reached the server already, yet its row stays
        # claimed until the lease lapses; only then does the live worker send it again (the one repeat).
        wait_until(lambda: distinct_ids() == 2 * PATIENTS and all_marked_sent(), 60,
                   "every email to reach the SMTP server and be marked sent")
        time.sleep(0.5)  # anything still arriving would be a repeat: give it the chance to show
        wait_for(f"{urls[0]}/healthz")  # the server whose worker died still answers (its master made another)
    finally:
        stop(*servers, *workers)

    with engine.connect() as conn:
        stored = conn.execute(text("SELECT name, submission_token, reference FROM consultation_request")).all()
        outbox = conn.execute(text("SELECT status, count(*) FROM notification GROUP BY status")).all()
    engine.dispose()
    assert len(stored) == PATIENTS
    assert len({row.name for row in stored}) == PATIENTS  # no request stored twice
    assert len({row.submission_token for row in stored}) == PATIENTS
    assert dict(outbox) == {"sent": 2 * PATIENTS}

    messages = smtp.messages
    clinic = {m["Message-ID"] for m in messages if m["To"] == CLINIC}
    acknowledged = {m["To"] for m in messages if m["To"] != CLINIC}
    assert len(clinic) == PATIENTS
    assert acknowledged == {f"patient{n}@example.org" for n in range(PATIENTS)}
    assert {ref for m in messages if m["To"] == CLINIC for ref in [m["Subject"].rsplit("[", 1)[1].split("]")[0]]} == {
        row.reference for row in stored}
    repeats = Counter(m["Message-ID"] for m in messages)
    assert len(messages) - len(repeats) <= 1, "more than the one email the killed mail worker had in hand was repeated"
    assert max(repeats.values()) <= 2
