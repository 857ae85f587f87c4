"""Production refuses settings that would leak mail or sessions; the placeholder secret runs only when asked for."""

import secrets

import pytest

from booking import create_app

GOOD_SECRET = secrets.token_hex(32)  # made at each run: a key written in the repository is refused
SAFE = {"SECRET_KEY": GOOD_SECRET, "MAIL_SERVER": "relay.clinic.example", "MAIL_USE_TLS": True,
        "PUBLIC_BASE_URL": "https://clinic.example"}


@pytest.fixture
def production(monkeypatch, tmp_path):
    """create_app as `BOOKING_ENV=production gunicorn ...` runs it, with these settings on top."""
    monkeypatch.setenv("BOOKING_ENV", "production")

    def _create(**changes):
        config = {**SAFE, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                  "MAIL_FILE_DIR": str(tmp_path / "mail"), **changes}
        return create_app({k: v for k, v in config.items() if v is not ...})

    return _create


def test_safe_production_settings_start(production):
    app = production()
    assert app.config["BOOKING_ENV"] == "production"
    assert app.config["STAFF_REQUIRE_TOTP"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"


@pytest.mark.parametrize("changes, message", [
    ({"MAIL_SERVER": ""}, "MAIL_SERVER is not set"),
    ({"MAIL_USE_TLS": False}, "neither MAIL_USE_TLS nor MAIL_USE_SSL is on"),
    ({"MAIL_SERVER": "192.0.2.10", "MAIL_USE_TLS": False}, "neither MAIL_USE_TLS nor MAIL_USE_SSL is on"),
    ({"PUBLIC_BASE_URL": "http://clinic.example"}, "PUBLIC_BASE_URL must start with https://"),
    ({"SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY is missing or a placeholder"),
])
def test_production_refuses_unsafe_settings(production, changes, message):
    with pytest.raises(RuntimeError, match=message):
        production(**changes)


@pytest.mark.parametrize("server", ["127.0.0.1", "localhost", "::1"])
def test_a_relay_on_this_machine_needs_no_tls(production, server):
    assert production(MAIL_SERVER=server, MAIL_USE_TLS=False).config["MAIL_SERVER"] == server


def test_smtp_over_ssl_counts_as_encrypted(production):
    assert production(MAIL_USE_TLS=False, MAIL_USE_SSL=True, MAIL_PORT=465).config["MAIL_USE_SSL"] is True


def test_the_placeholder_secret_is_refused_unless_development_is_said(monkeypatch, tmp_path):
    monkeypatch.delenv("BOOKING_ENV", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY is missing or a placeholder"):
        create_app()
    monkeypatch.setenv("BOOKING_ENV", "development")
    assert create_app().config["BOOKING_ENV"] == "development"


def test_production_session_cookie_is_host_only_secure_and_strict(production):
    app = production()
    response = app.test_client().get("/consultation", base_url="https://clinic.example")
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-session=")][0]
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"]:
        assert part in cookie
    assert "Domain=" not in cookie
