"""bench/run still runs end to end: smoke runs of a second per target, no figure judged (bench/profile's are
in tests/test_bench_profile.py, PostgreSQL's run in tests/test_bench_run_postgres.py).

Speed is measured by running the tools by hand on a quiet machine (docs/performance.md); these tests only
keep the tools from rotting, and check what they must always print.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str, **env) -> str:
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


# No warm-up in these runs, to keep make test short: the sender's two rounds post to the same two servers
# twice, which checks what the warm-up would (no wrk run lends another its tokens: a resend stores nothing).
# For the same reason only the SQLite run serves bench/floor.py (--floor): what runs it and prints its lines is
# the same code on either database, and its four servers took about 40 s of each run.
# One worker and one connection: every server, wrk run, drain and table as in a measured run, with about half
# the CPU (each wrk second kept both cores busy, and each server's second worker loaded the app again).
SMOKE = {"BENCH_WORKERS": "1", "BENCH_CONNECTIONS": "1", "BENCH_SMTP_MESSAGES": "100"}
FLOOR_TARGETS = ("floor form page", "floor", "floor, no WTForms", "floor, no disk wait", "floor, neither")


def check_bench_run(flags: tuple[str, ...], database: str) -> None:
    """bench/run with these flags prints every figure, its table, and loses no request. The PostgreSQL run is
    tests/test_bench_run_postgres.py, a file of its own so that the two long runs can go to two workers."""
    out = run("bench/run", *flags, BENCH_SECONDS="1", BENCH_WARM_UP="0", BENCH_PAIRED_ROUNDS="2", **SMOKE)
    assert out.startswith(f"database: {database}; gunicorn 1 workers, wrk 1 connections, 1 s each "), out
    assert re.search(r"^hello world +\d+ req/s .*\(first \d+, last \d+\)$", out, re.M), out
    floor = "--floor" in flags
    for target in ("info page /", "form page", "valid submission", "submission, sender on", "form page with times",
                   *(FLOOR_TARGETS if floor else ())):
        line = re.search(rf"^{re.escape(target)} +(\d+) req/s +p50 +[\d.]+ ms +p99 +[\d.]+ ms +ratio [\d.]+ +"
                         r"non-2xx/3xx (\d+)$", out, re.M)
        assert line and int(line.group(1)) > 0 and line.group(2) == "0", (target, out)
    assert re.search(r"^form page, in rounds +ratio [\d.]+, the median of 2 rounds beside hello world: "
                     r"[\d.]+, [\d.]+$", out, re.M), out
    floor_line = re.search(r"^the app's form page +[\d.]+ of the floor's rate, its submission [\d.]+ ", out, re.M)
    assert bool(floor_line) == floor, out
    if not floor:  # without --floor, no floor figure at all
        assert not any(re.search(rf"^{re.escape(target)} ", out, re.M) for target in FLOOR_TARGETS), out
    posts = re.search(r"^valid submissions +(\d+) posts answered \(warm-up included\), (\d+) requests stored", out,
                      re.M)
    assert posts and int(posts.group(2)) >= int(posts.group(1)) > 0, out
    for path in ("/", "/es/"):
        weight = re.search(rf"^info page {re.escape(path)} +(\d+) bytes in (\d+) requests as Chromium loads it", out,
                           re.M)
        assert weight and int(weight.group(1)) > 5000 and int(weight.group(2)) >= 2, out
    drained = re.search(r"^outbox drain +(\d+) emails in .*\[Sent (\d+) notification\(s\); 0 failed", out, re.M)
    assert drained and drained.group(1) == drained.group(2) and int(drained.group(1)) > 0, out
    assert re.search(r"^sender on / off +[\d.]+: valid submissions with the in-process sender on .* the median "
                     r"of 2 rounds: [\d.]+, [\d.]+$", out, re.M), out
    assert re.search(r"^sender on, after +each burst's held-back mail all sent within [\d.]+, [\d.]+ s ", out,
                     re.M), out
    in_process = re.search(r"^in-process drain +(\d+) of (\d+) emails in [\d.]+ s", out, re.M)
    assert in_process and in_process.group(1) == in_process.group(2) == drained.group(1), out
    name = "PostgreSQL" if "--postgres" in flags else "SQLite"
    assert re.search(rf"^\| figure \| {name} \| goal \|$", out, re.M), out  # the one table, last
    assert re.search(r"^submission p99, on +[\d.]+ ms: the default configuration \(sender on\) at 1 connections, the "
                     r"median of the same rounds: [\d.]+, [\d.]+ \(sender off: [\d.]+, [\d.]+\)$", out, re.M), out
    for figure in ("sender on / off", "submission p99 ms, sender on (median of rounds)",
                   "drain, in-process sender, emails/s"):
        assert re.search(rf"^\| {re.escape(figure)} \| [\d.]+ \((met|NOT met)\) \| ", out, re.M), (figure, out)


def test_bench_run_on_sqlite_with_the_floor_prints_every_figure_and_loses_no_request():
    check_bench_run(("--sqlite", "--floor"), "SQLite (synchronous=FULL)")


FLOOR_CHECK = """
from bench.floor import app, create_tables, db, FloorRequest
from tests.client import hidden_fields
from tests.conftest import valid_answers
create_tables()
client = app.test_client()
page = client.get("/consultation").get_data(as_text=True)
form = {**hidden_fields(page, "/consultation"), **valid_answers(), "submission_token": "floor-check-token-0001"}
statuses = [client.post("/consultation", data=form).status_code,
            client.post("/consultation", data=form).status_code,  # the same form again: stored once
            client.post("/consultation", data={**form, "csrf_token": "forged"}).status_code]
if FORM:
    statuses.append(client.post("/consultation", data={**form, "condition": "anything"}).status_code)
with app.app_context():
    print(statuses, db.session.query(FloorRequest).count())
"""


@pytest.mark.parametrize("form", ["on", "off"])
def test_the_floor_keeps_the_checks_it_stands_for(tmp_path, form):
    """bench/floor.py is only a floor if it refuses what the app refuses: a forged CSRF token, an answer not
    offered (with its form), and a second copy of the same submission."""
    out = run("-c", f"FORM = {form == 'on'}\n" + FLOOR_CHECK, FLOOR_FORM=form, SECRET_KEY="floor-" + "x" * 30,
              FLOOR_DATABASE_URL=f"sqlite:///{tmp_path / 'floor.sqlite3'}", FLOOR_PAGE_BYTES="100")
    expected = [303, 303, 422, 422] if form == "on" else [303, 303, 422]
    assert out.strip() == f"{expected} 1", out
