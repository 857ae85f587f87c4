"""The operator interface from README.md, run as real processes: db upgrade, gunicorn, send-mail, settings."""

import secrets
import subprocess
import sys
import urllib.request

import pytest

from booking import create_app
from tests.fixtures.servers import flask, migrated_sqlite, run, start_gunicorn, stop, wait_for


def test_db_upgrade_then_gunicorn_serves_then_send_mail_delivers(operator_env, smtp):
    upgraded = flask(operator_env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr

    server, base = start_gunicorn(operator_env, "--workers", "2", stderr=subprocess.PIPE)
    try:
        page = wait_for(f"{base}/", server=server)
        assert b"Dry needling" in page
        with urllib.request.urlopen(f"{base}/consultation", timeout=5) as response:
            assert response.status == 200
            assert "Server" not in response.headers or "gunicorn/" not in response.headers["Server"]
    finally:
        stop(server)

    # Nothing is waiting: send-mail says so and exits 0.
    idle = flask(operator_env, "send-mail")
    assert idle.returncode == 0, idle.stderr
    assert "Sent 0 notification(s)" in idle.stdout


def test_send_mail_exits_1_while_the_mail_server_is_down(operator_env, smtp, tmp_path):
    migrated_sqlite(operator_env["DATABASE_URL"])  # `flask db upgrade` itself is run by the test above
    app = create_app({"SQLALCHEMY_DATABASE_URI": operator_env["DATABASE_URL"], "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "a long random secret for this test only",
                      "MAIL_DEFAULT_SENDER": "x@clinic.test", "OUTBOX_WORKER": False})
    from tests.conftest import valid_answers

    app.test_client().post("/consultation", data=valid_answers())
    smtp.stop()
    down = flask(operator_env, "send-mail")
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
