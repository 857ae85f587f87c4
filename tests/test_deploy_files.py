"""The files docs/deploy.md hands an operator work as they are."""

import configparser
import gc
import os
import runpy
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The files are checked, not deployed: the app they load runs on the development defaults here.
CHECK_ENV = {**os.environ, "BOOKING_ENV": "development"}


def test_gunicorn_accepts_the_repositorys_config():
    result = subprocess.run([BIN / "gunicorn", "--check-config", "-c", "gunicorn.conf.py", "booking:create_app()"],
                            cwd=ROOT, env=CHECK_ENV, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_each_worker_freezes_what_it_loaded_so_a_full_collection_skips_it():
    """gunicorn.conf.py's post_worker_init (gunicorn calls it once the worker has loaded the app)."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("unit", ["booking-web.service", "booking-mail.service"])
def test_each_systemd_unit_runs_a_command_that_exists(unit):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "deploy" / unit)
    command = shlex.split(parser["Service"]["ExecStart"])
    assert command[0].startswith("/srv/booking/.venv/bin/")
    local = [str(BIN / Path(command[0]).name), *command[1:]]
    if "gunicorn" in local[0]:
        local = [part.replace("/srv/booking/", "") for part in local] + ["--check-config"]
    else:
        local.append("--help")  # the worker's options parse; --help stops before it runs
    result = subprocess.run(local, cwd=ROOT, env=CHECK_ENV, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert parser["Service"]["EnvironmentFile"] == "/etc/booking/booking.env"


def test_the_example_environment_names_only_settings_the_app_reads():
    names = [line.split("=", 1)[0] for line in (ROOT / "deploy" / "booking.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    read = "".join((ROOT / path).read_text() for path in ("config.py", "gunicorn.conf.py", "booking/__init__.py"))
    assert [name for name in names if f'"{name}"' not in read] == []


def test_nginx_passes_one_forwarded_hop_for_proxy_count_one():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "PROXY_COUNT=1" in (ROOT / "deploy" / "booking.env.example").read_text()


@pytest.mark.parametrize("env, base_url, port", [
    ({"PORT": "5088"}, "http://127.0.0.1:5088", "5088"),
    ({}, "http://127.0.0.1:5000", "5000"),
    ({"PORT": "5088", "PUBLIC_BASE_URL": "https://booking.clinic.example"}, "https://booking.clinic.example", "5088"),
])
def test_make_run_points_every_email_link_at_the_port_it_serves(env, base_url, port):
    """`PORT=5088 make run` once mailed links to port 5000; PUBLIC_BASE_URL follows PORT unless it is set."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "PUBLIC_BASE_URL", "MAKEFLAGS")}
    plan = subprocess.run(["make", "-n", "run"], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
                          timeout=60, check=True).stdout
    [serve] = [line for line in plan.splitlines() if "gunicorn" in line]
    assert f"PUBLIC_BASE_URL='{base_url}'" in serve and f"--bind 127.0.0.1:{port} " in serve
