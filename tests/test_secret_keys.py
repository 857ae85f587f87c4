"""Keys that cannot be guessed: production refuses public or weak keys, testing runs only in the test suite,
and a rotation through SECRET_KEY_FALLBACKS keeps every two-step key readable."""

import re
import secrets
from pathlib import Path

import pyotp
import pytest

import config
from booking import create_app
from booking.extensions import db
from booking.models import StaffUser
from booking.staff.operations.two_step import encrypt_secret, secret_of
from tests.factories import make_staff
from tests.fixtures.staff import log_in

ROOT = Path(__file__).resolve().parent.parent
REFUSED = "SECRET_KEY is missing or a placeholder"


@pytest.fixture
def production(monkeypatch, tmp_path):
    """create_app as `BOOKING_ENV=production gunicorn ...` runs it, with these settings on top."""
    monkeypatch.setenv("BOOKING_ENV", "production")

    def _create(**changes):
        settings = {"SECRET_KEY": secrets.token_hex(32), "MAIL_SERVER": "relay.clinic.example", "MAIL_USE_TLS": True,
                    "PUBLIC_BASE_URL": "https://clinic.example",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                    "MAIL_FILE_DIR": str(tmp_path / "mail"), **changes}
        return create_app(settings)

    return _create


@pytest.mark.parametrize("make_key", [lambda: secrets.token_hex(32), lambda: secrets.token_urlsafe(32),
                                      lambda: secrets.token_urlsafe(48)])
def test_production_starts_on_a_random_256_bit_key(production, make_key):
    assert production(SECRET_KEY=make_key()).config["BOOKING_ENV"] == "production"


def test_random_keys_pass_the_variety_check_every_time():
    """The variety check must never refuse what the documented command prints: 2000 draws of each kind."""
    for _ in range(2000):
        assert config.secret_problem(secrets.token_hex(32)) is None
        assert config.secret_problem(secrets.token_urlsafe(32)) is None


@pytest.mark.parametrize("secret, why", [
    ("replace-with-python-c-import-secrets-print-secrets.token_hex-32", "written in this project's files"),
    ("a" * 24, "under 256 bits"),
    ("x" * 24 + "production-grade-secret", "repeat too much"),
    # Random-looking but fixed: every pytest-xdist worker must collect the same test ids.
    ("Q3v9_xK2pLm8ZrT4wYb7NcEa", "under 256 bits"),  # 24 URL-safe characters: 144 bits
    ("9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d", "under 256 bits"),  # 62 hex: 248 bits
    ("Zq8Ws1Xe4Rd7Tf2Yg5Uh9Ij3Ok6Pl0Am8Sn-Bv3Kc7", "under 256 bits"),  # 42 URL-safe characters: 252 bits, under 43
    ("a" * 64, "repeat too much"),
    ("0123456789abcdef" * 4, "repeat too much"),
    ("ab" * 40, "repeat too much"),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "repeat too much"),
    ("", "empty"),
    ("dev-only-not-secret", "written in this project's files"),
    ("testing-secret", "written in this project's files"),
])
def test_production_refuses_a_guessable_key(production, secret, why):
    with pytest.raises(RuntimeError, match=REFUSED) as refused:
        production(SECRET_KEY=secret)
    assert why in str(refused.value)


def test_production_refuses_a_guessable_fallback(production):
    with pytest.raises(RuntimeError, match=r"SECRET_KEY_FALLBACKS\[1\] is missing or a placeholder"):
        production(SECRET_KEY_FALLBACKS=[secrets.token_hex(32), "dev-only-not-secret"])


def _secrets_written_in_the_repository() -> set[str]:
    """Every literal given to SECRET_KEY (or its fallbacks) in the project's files: env files, docs, code."""
    found = set()
    pattern = re.compile(r"""SECRET_KEY(?:_FALLBACKS)?["']?\s*(?:=|:)\s*\[?(?:["']([^"'\n]+)["']|([^\s"'\[\]#,|`]+))""")
    for path in ROOT.rglob("*"):
        if any(part in {".venv", ".git", "node_modules", "instance", "__pycache__"} for part in path.parts):
            continue
        if not path.is_file() or path.suffix not in {".py", ".md", ".example", ".service", ".toml", ".cfg", ".conf",
                                                     ".sh", ".txt", ""}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for match in pattern.finditer(text):
            value = match.group(1) or match.group(2)
            if value and not value.startswith(("os.", "config", "app.", "secret", "old_secret", "new_secret",
                                               "make_key", "(", "{", "current_app", "env", "TESTING_SECRET",
                                               "PLACEHOLDER_SECRET", "%")):
                found.add(value)
    return found


def test_every_key_written_in_the_repository_is_refused_in_production(production):
    written = _secrets_written_in_the_repository()
    assert "replace-with-python-c-import-secrets-print-secrets.token_hex-32" in written  # the scan reads env files
    assert "the-same-secret-for-both-servers" in written  # ... and tests
    for secret in written:
        with pytest.raises(RuntimeError, match=REFUSED):
            production(SECRET_KEY=secret)


def test_the_example_env_files_key_is_refused_by_name():
    example = (ROOT / "deploy" / "booking.env.example").read_text()
    key = re.search(r"^SECRET_KEY=(.*)$", example, re.M).group(1)
    assert "written in this project's files" in config.secret_problem(key)


def test_booking_env_testing_refuses_to_start_outside_the_test_suite(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKING_ENV", "testing")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="BOOKING_ENV=testing is for the test suite only"):
        create_app()
    with pytest.raises(RuntimeError, match="BOOKING_ENV=testing is for the test suite only"):
        create_app({"SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x'}"})
    # The suite itself says so in create_app's own argument, which no environment variable can set.
    assert create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x'}"}) \
        .config["BOOKING_ENV"] == "testing"


def test_testing_cannot_be_asked_for_through_the_environment(monkeypatch, tmp_path):
    """TESTING=1 in the environment is not read: a deployer's typo cannot turn the test key on."""
    monkeypatch.setenv("TESTING", "1")
    monkeypatch.setenv("FLASK_TESTING", "1")
    monkeypatch.setenv("BOOKING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "testing-secret")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=REFUSED):
        create_app()


def _stored_key(app, email):
    with app.app_context():
        return db.session.execute(db.select(StaffUser.totp_secret).filter_by(email=email)).scalar_one()


def test_two_step_keys_survive_a_rotation_and_move_to_the_new_key(make_app):
    old_key, new_key = secrets.token_hex(32), secrets.token_hex(32)
    before = make_app(SECRET_KEY=old_key)
    authenticator = pyotp.random_base32()
    with before.app_context():
        make_staff("desk@clinic.test", totp_secret=encrypt_secret(authenticator))
    written_under_old = _stored_key(before, "desk@clinic.test")

    forgotten = make_app(SECRET_KEY=new_key)  # a new key without the old one as fallback cannot read it
    with forgotten.app_context():
        make_staff("desk@clinic.test", totp_secret=written_under_old)
        assert secret_of(db.session.execute(db.select(StaffUser)).scalar_one()) is None

    rotated = make_app(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key])
    with rotated.app_context():
        make_staff("desk@clinic.test", totp_secret=written_under_old)
    client = rotated.test_client()
    assert log_in(client, "desk@clinic.test").headers["Location"] == "/staff"  # password, then the code
    rewritten = _stored_key(rotated, "desk@clinic.test")
    assert rewritten != written_under_old  # the sign-in wrote it again under the current key ...

    after = make_app(SECRET_KEY=new_key)  # ... so the old key can leave the fallbacks
    with after.app_context():
        make_staff("desk@clinic.test", totp_secret=rewritten)
        assert secret_of(db.session.execute(db.select(StaffUser)).scalar_one()) == authenticator
