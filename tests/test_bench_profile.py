"""bench/profile still runs end to end: each of its commands prints a CPU time and a profile (no figure judged)."""

import re

import pytest

from tests.test_bench_tools import run


@pytest.mark.parametrize("command", [("page", "/consultation", "20"), ("page", "/", "20", "--hello"),
                                     ("submit", "20"), ("drain", "10")])
def test_bench_profile_runs(command):
    out = run("bench/profile", *command)
    assert re.search(r"ms of CPU each", out) and "function calls" in out, out[-2000:]
