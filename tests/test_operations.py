"""The operator interface from README.md, run as real processes: db upgrade, gunicorn, send-mail, settings."""

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from booking import create_app
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(args, env, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, **kwargs)


@pytest.fixture
def operator_env(tmp_path, smtp):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "BOOKING_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'clinic.sqlite3'}",
        INSTANCE_PATH=str(tmp_path / "instance"),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        MAIL_DEFAULT_SENDER="Juniper PT <no-reply@clinic.test>",
        CLINIC_EMAIL="frontdesk@clinic.test, owner@clinic.test",
        OUTBOX_WORKER="false",
        BOOKING_ENV="development",  # said out loud: only then may the placeholder secret run
    )
    return env


def wait_for(url: str, seconds: float = 20) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # TimeoutError: a worker still booting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_db_upgrade_then_gunicorn_serves_then_send_mail_delivers(operator_env, smtp):
    upgraded = run([BIN / "flask", "--app", "booking", "db", "upgrade"], operator_env)
    assert upgraded.returncode == 0, upgraded.stderr

    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "booking:create_app()"],
        cwd=ROOT, env=operator_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        page = wait_for(f"http://127.0.0.1:{port}/")
        assert b"Dry needling" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/consultation", timeout=5) as response:
            assert response.status == 200
            assert "Server" not in response.headers or "gunicorn/" not in response.headers["Server"]
    finally:
        server.terminate()
        server.wait(10)

    # Nothing is waiting: send-mail says so and exits 0.
    idle = run([BIN / "flask", "--app", "booking", "send-mail"], operator_env)
    assert idle.returncode == 0, idle.stderr
    assert "Sent 0 notification(s)" in idle.stdout


def test_send_mail_exits_1_while_the_mail_server_is_down(operator_env, smtp, tmp_path):
    assert run([BIN / "flask", "--app", "booking", "db", "upgrade"], operator_env).returncode == 0
    app = create_app({"SQLALCHEMY_DATABASE_URI": operator_env["DATABASE_URL"], "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "a long random secret for this test only",
                      "MAIL_DEFAULT_SENDER": "x@clinic.test", "OUTBOX_WORKER": False})
    from tests.conftest import valid_answers

    app.test_client().post("/consultation", data=valid_answers())
    smtp.stop()
    down = run([BIN / "flask", "--app", "booking", "send-mail"], operator_env)
    assert down.returncode == 1
    assert "2 failed and will be retried" in down.stdout


@pytest.mark.parametrize("secret", [None, "", "dev-only-not-secret", "changeme", "short"])
def test_production_refuses_a_missing_or_placeholder_secret(operator_env, secret):
    env = {**operator_env, "BOOKING_ENV": "production"}
    env.pop("SECRET_KEY", None)
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = run([sys.executable, "-c", "from booking import create_app; create_app()"], env)
    assert result.returncode != 0
    assert "SECRET_KEY is missing or a placeholder" in result.stderr


def test_production_sets_hsts_secure_cookies_and_minimal_notifications(operator_env):
    env = {**operator_env, "BOOKING_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "PUBLIC_BASE_URL": "https://clinic.example"}
    script = (
        "from booking import create_app\n"
        "app = create_app()\n"
        "c = app.test_client()\n"
        "r = c.get('/consultation', base_url='https://clinic.example')\n"
        "print(r.headers['Strict-Transport-Security'])\n"
        "print(app.config['NOTIFY_DETAILS'])\n"
        "print([c for c in r.headers.getlist('Set-Cookie') if c.startswith('__Host-session=')][0])\n"
    )
    result = run([sys.executable, "-c", script], env)
    assert result.returncode == 0, result.stderr
    hsts, notify_details, cookie = result.stdout.strip().splitlines()
    assert hsts.startswith("max-age=")
    assert notify_details == "minimal"  # health details stay out of email unless the clinic opts in
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Domain=" not in cookie and "Path=/;" in cookie  # what the __Host- prefix demands


def test_an_empty_clinic_email_is_refused(operator_env):
    env = {**operator_env, "CLINIC_EMAIL": " , "}
    result = run([sys.executable, "-c", "from booking import create_app; create_app()"], env)
    assert result.returncode != 0 and "CLINIC_EMAIL is empty" in result.stderr


def test_unknown_booking_env_is_refused(operator_env):
    env = {**operator_env, "BOOKING_ENV": "staging"}
    result = run([sys.executable, "-c", "from booking import create_app; create_app()"], env)
    assert result.returncode != 0 and "BOOKING_ENV must be one of" in result.stderr
