"""bench/run and bench/profile still run end to end: smoke runs of a second per target, no figure judged.

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


@pytest.mark.parametrize(("flags", "database"), [((), "SQLite (synchronous=FULL)"),
                                                 (("--postgres",), "PostgreSQL (fsync on)")])
def test_bench_run_prints_every_figure_and_loses_no_request(flags, database):
    # With a warm-up: its posts must not lend the measured run their tokens (a resend stores nothing).
    out = run("bench/run", *flags, BENCH_SECONDS="1", BENCH_WARM_UP="1")
    assert out.startswith(f"database: {database}; "), out  # PostgreSQL measured as a clinic runs it
    assert re.search(r"^hello world +\d+ req/s .*\(first \d+, last \d+\)$", out, re.M), out
    for target in ("info page /", "form page", "valid submission", "form page with times"):
        line = re.search(rf"^{re.escape(target)} +\d+ req/s +p50 +[\d.]+ ms +p99 +[\d.]+ ms +ratio [\d.]+ +"
                         r"non-2xx/3xx (\d+)$", out, re.M)
        assert line and line.group(1) == "0", (target, out)
    posts = re.search(r"^valid submissions +(\d+) posts answered \(warm-up included\), (\d+) requests stored", out, re.M)
    assert posts and int(posts.group(2)) >= int(posts.group(1)) > 0, out
    for path in ("/", "/es/"):
        weight = re.search(rf"^info page {re.escape(path)} +(\d+) bytes in (\d+) requests as Chromium loads it", out,
                           re.M)
        assert weight and int(weight.group(1)) > 5000 and int(weight.group(2)) >= 2, out
    drained = re.search(r"^outbox drain +(\d+) emails in .*\[Sent (\d+) notification\(s\); 0 failed", out, re.M)
    assert drained and drained.group(1) == drained.group(2) and int(drained.group(1)) > 0, out


@pytest.mark.parametrize("command", [("page", "/consultation", "20"), ("page", "/", "20", "--hello"),
                                     ("submit", "20"), ("drain", "10")])
def test_bench_profile_runs(command):
    out = run("bench/profile", *command)
    assert re.search(r"ms of CPU each", out) and "function calls" in out, out[-2000:]
