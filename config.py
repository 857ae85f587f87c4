"""Every setting the app reads, each from an environment variable with a safe default."""

import ipaddress
import math
import os
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import phonenumbers

PLACEHOLDER_SECRET = "dev-only-not-secret"
TESTING_SECRET = "testing-secret"
# Every secret written in this repository (example files, docs, tests) is public, so never a production key.
KNOWN_SECRETS = frozenset({
    PLACEHOLDER_SECRET, TESTING_SECRET,
    "replace-with-python-c-import-secrets-print-secrets.token_hex-32",  # deploy/booking.env.example
    "a long random secret, as production needs", "a long random secret for this test only",
    "a-secret-shared-by-every-process", "the-same-secret-for-both-servers", "the-same-secret-for-every-process",
    "a" * 16 + "production-grade-secret", "changeme", "change-me", "secret", "dev", "development", "...",
})
SECRET_MIN_BITS = 256
GENERATE_SECRET = "python -c 'import secrets; print(secrets.token_hex(32))'"


def _env_bool(name: str, default: bool = False) -> bool:
    """Read an on/off environment variable the way operators write them."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_list(name: str, default: str = "", sep: str = ",") -> list[str]:
    """Split a comma- (or sep-) separated variable into its non-empty parts."""
    return [part.strip() for part in os.environ.get(name, default).split(sep) if part.strip()]


class Config:
    """Settings shared by every environment; read when the class is built, at import."""

    # How staff passwords are hashed: scrypt with N=2^17, r=8, p=1 (OWASP's 2024 minimum). Not read from
    # the environment: only the tests' config lowers it.
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"

    SECRET_KEY = os.environ.get("SECRET_KEY", PLACEHOLDER_SECRET)
    # Rotation: the new key in SECRET_KEY, the old one here (comma-separated) until sessions, CSRF tokens and
    # two-step keys written under it have been renewed; docs/security.md says when it may go.
    SECRET_KEY_FALLBACKS = _env_list("SECRET_KEY_FALLBACKS")
    # None means "SQLite in the instance folder"; create_app fills in the path.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    # hide_parameters: a failed query's error (and so the log) never carries a patient's answers.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

    # Outgoing mail. With no MAIL_SERVER the outbox writes .eml files under the instance folder.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Juniper Physical Therapy <no-reply@localhost>")
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 15)
    # TLS (MAIL_USE_TLS/SSL) verifies the server's certificate; a private CA's bundle goes here.
    MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE") or None
    # Flask-Mail silently drops mail when TESTING; our tests talk to a real SMTP server instead.
    MAIL_SUPPRESS_SEND = False
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR") or None  # default: <instance>/mail
    CLINIC_EMAIL = _env_list("CLINIC_EMAIL", "frontdesk@localhost")

    # The outbox: a worker thread in each web process delivers right after each request is
    # stored and retries failures; `flask send-mail` does the same from cron as a safety net.
    OUTBOX_WORKER = _env_bool("OUTBOX_WORKER", True)
    OUTBOX_POLL_SECONDS = _env_int("OUTBOX_POLL_SECONDS", 60)
    OUTBOX_MAX_BACKOFF_SECONDS = _env_int("OUTBOX_MAX_BACKOFF_SECONDS", 3600)
    # How long a sender's claim on an email lasts before another may take it (it is renewed while alive);
    # 0 means long enough for one message at MAIL_TIMEOUT_SECONDS: 4 x that + 60 s.
    OUTBOX_LEASE_SECONDS = _env_int("OUTBOX_LEASE_SECONDS", 0)
    # `send-mail --watch`: how often it looks for due mail when nothing wakes it (PostgreSQL's NOTIFY does).
    OUTBOX_WATCH_POLL_SECONDS = _env_int("OUTBOX_WATCH_POLL_SECONDS", 5)

    SUBMIT_RATE_LIMIT = os.environ.get("SUBMIT_RATE_LIMIT", "5 per minute; 30 per day")
    # memory:// counts per process; point several gunicorn workers at one shared store.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Counted over the last minute (or day) at any moment, not per clock minute: a fixed window would let
    # 5 through at 9:00:59 and 5 more at 9:01:00.
    RATELIMIT_STRATEGY = "moving-window"
    # If the shared store (redis) stops answering, count in each process meanwhile rather than fail requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)
    # Log lines as plain text or one JSON object each; either way one line per event, with its request id.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()

    # Staff: what the clinic email carries, where its link points, and the inbox's clock.
    # full: every answer in the email; minimal: reference, time, flags raised or not, and a link.
    NOTIFY_DETAILS = os.environ.get("NOTIFY_DETAILS", "full")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # Hosts the app answers for; empty means any in development, and PUBLIC_BASE_URL's host in production.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS") or None
    CLINIC_TIMEZONE = os.environ.get("CLINIC_TIMEZONE", "America/New_York")
    # The region (ISO 3166 code) for phone numbers written without a +country code.
    CLINIC_COUNTRY = os.environ.get("CLINIC_COUNTRY", "US").strip().upper()
    RETENTION_DAYS = _env_int("RETENTION_DAYS", 365)
    INBOX_PAGE_SIZE = _env_int("INBOX_PAGE_SIZE", 25)
    # Failed sign-ins (wrong password or wrong code) counted in the database, check and count in one step.
    # Tight: one account from one address. Loose: one account from anywhere, so a stranger elsewhere
    # cannot lock the owner out. Per address: one address trying many accounts.
    LOGIN_RATE_LIMIT_ACCOUNT_ADDRESS = os.environ.get("LOGIN_RATE_LIMIT_ACCOUNT_ADDRESS", "5 per 15 minutes")
    LOGIN_RATE_LIMIT_ACCOUNT = os.environ.get("LOGIN_RATE_LIMIT_ACCOUNT", "100 per hour")
    LOGIN_RATE_LIMIT_ADDRESS = os.environ.get("LOGIN_RATE_LIMIT_ADDRESS", "20 per 15 minutes")
    # A browser where an account signed in before keeps a signed device cookie this many days; its attempts
    # are counted apart, so only untrusted clients meet the per-account ceiling (OWASP device cookies).
    STAFF_DEVICE_DAYS = _env_int("STAFF_DEVICE_DAYS", 90)
    # Two-step sign-in (an authenticator app's code after the password) for every staff account.
    STAFF_REQUIRE_TOTP = _env_bool("STAFF_REQUIRE_TOTP", True)
    # How long an emailed invitation (or two-step reset) link works before an administrator must send another.
    STAFF_INVITE_HOURS = _env_int("STAFF_INVITE_HOURS", 72)
    # A working day of inactivity ends a staff session; STAFF_SESSION_MAX_HOURS ends it whatever the activity.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("STAFF_SESSION_HOURS", 10))
    STAFF_SESSION_MAX_HOURS = _env_int("STAFF_SESSION_MAX_HOURS", 12)
    SESSION_REFRESH_EACH_REQUEST = True

    MAX_CONTENT_LENGTH = 64 * 1024
    WTF_CSRF_TIME_LIMIT = 2 * 60 * 60
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    HSTS = False

    # Booking: consultation times from practitioners' weekly hours, read in CLINIC_TIMEZONE.
    CONSULTATION_MINUTES = _env_int("CONSULTATION_MINUTES", 30)
    BOOKING_MIN_NOTICE_HOURS = _env_int("BOOKING_MIN_NOTICE_HOURS", 12)
    BOOKING_HORIZON_DAYS = _env_int("BOOKING_HORIZON_DAYS", 42)
    REMINDER_HOURS_BEFORE = _env_int("REMINDER_HOURS_BEFORE", 24)
    CANCEL_CUTOFF_HOURS = _env_int("CANCEL_CUTOFF_HOURS", 24)
    # A waitlist email's link works until the offered time starts, or this many hours, whichever is sooner.
    WAITLIST_OFFER_HOURS = _env_int("WAITLIST_OFFER_HOURS", 24)
    # An unsigned dry-needling consent gets one email asking to sign, this many hours before the time.
    CONSENT_REMINDER_HOURS = _env_int("CONSENT_REMINDER_HOURS", 48)
    # A folder with the clinic's own consent texts (en/<version>.md, es/<version>.md); empty: the shipped ones.
    CONSENT_TEXT_DIR = os.environ.get("CONSENT_TEXT_DIR", "")
    # On: a request with no screening flags is confirmed at once; off: the front desk confirms each time.
    BOOKING_AUTO_CONFIRM = _env_bool("BOOKING_AUTO_CONFIRM", False)
    # Development only: with no practitioner at all, add "Demo therapist" so `make run` shows times.
    SEED_DEMO_PRACTITIONER = True

    # What patients see about the clinic.
    CLINIC_NAME = os.environ.get("CLINIC_NAME", "Juniper Physical Therapy")
    CLINIC_PHONE = os.environ.get("CLINIC_PHONE", "(555) 010-0199")
    CLINIC_PUBLIC_EMAIL = os.environ.get("CLINIC_PUBLIC_EMAIL", "hello@juniper-pt.example")
    CLINIC_ADDRESS = _env_list("CLINIC_ADDRESS", "120 Juniper Street|Suite 4|Springfield", sep="|")
    CLINIC_HOURS = _env_list("CLINIC_HOURS", "Monday to Friday, 7 am to 7 pm|Saturday, 8 am to 12 noon", sep="|")
    CLINIC_RESPONSE_TIME = os.environ.get("CLINIC_RESPONSE_TIME", "within one working day")
    # The same address and hours in parts, as search engines (schema.org JSON-LD on the info page) and the
    # FHIR Location read them. Opening hours as schema.org writes them: days Mo Tu We Th Fr Sa Su, 24-hour times.
    CLINIC_STREET_ADDRESS = os.environ.get("CLINIC_STREET_ADDRESS", "120 Juniper Street, Suite 4")
    CLINIC_LOCALITY = os.environ.get("CLINIC_LOCALITY", "Springfield")
    CLINIC_REGION = os.environ.get("CLINIC_REGION", "OR")
    CLINIC_POSTAL_CODE = os.environ.get("CLINIC_POSTAL_CODE", "97477")
    CLINIC_OPENING_HOURS = _env_list("CLINIC_OPENING_HOURS", "Mo-Fr 07:00-19:00|Sa 08:00-12:00", sep="|")
    CLINIC_ACCEPTING_NEW_PATIENTS = _env_bool("CLINIC_ACCEPTING_NEW_PATIENTS", True)
    # The same two, as Spanish-speaking patients read them.
    CLINIC_HOURS_ES = _env_list("CLINIC_HOURS_ES", "De lunes a viernes, de 7 a. m. a 7 p. m.|Sábados, de 8 a. m. a 12 del mediodía", sep="|")
    CLINIC_RESPONSE_TIME_ES = os.environ.get("CLINIC_RESPONSE_TIME_ES", "en un día hábil")
    # Languages (besides English and Spanish) in which the language-help notice tells patients that
    # help is free: codes from booking/public/language_help.toml.
    LANGUAGE_ASSISTANCE = _env_list("LANGUAGE_ASSISTANCE", "zh,vi,tl,ko,ru,ar,fr,ht")
    CLINIC_EMERGENCY_NUMBER = os.environ.get("CLINIC_EMERGENCY_NUMBER", "911")
    # The clinic's look (booking/branding.py, checked at start-up): a "#rrggbb" colour white text reads on
    # at WCAG AA (4.5:1), for the header and emails; and the path of an SVG or PNG logo for the header.
    CLINIC_COLOUR = os.environ.get("CLINIC_COLOUR", "")
    CLINIC_LOGO = os.environ.get("CLINIC_LOGO", "")


class DevelopmentConfig(Config):
    """The embedded defaults a newcomer runs with."""


class TestingConfig(Config):
    """Isolated from the environment: tests bring their own database and mail server."""

    TESTING = True
    SECRET_KEY = TESTING_SECRET
    SECRET_KEY_FALLBACKS: list[str] = []
    TRUSTED_HOSTS = None
    SQLALCHEMY_DATABASE_URI = None
    MAIL_SERVER = ""
    CLINIC_EMAIL = ["frontdesk@clinic.test"]
    MAIL_DEFAULT_SENDER = "Juniper Physical Therapy <no-reply@clinic.test>"
    OUTBOX_WORKER = False
    RATELIMIT_STORAGE_URI = "memory://"
    SUBMIT_RATE_LIMIT = "1000 per minute"
    SEED_DEMO_PRACTITIONER = False
    # A cheap scrypt: a log-in costs milliseconds, not a quarter second. The tests that are about the cost
    # itself set production's (booking.models.staff.PASSWORD_METHOD) back.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


class ProductionConfig(Config):
    """Served to the public over HTTPS."""

    SEED_DEMO_PRACTITIONER = False
    NOTIFY_DETAILS = os.environ.get("NOTIFY_DETAILS", "minimal")
    # __Host-: the browser keeps it only if Secure, for this host alone, on path /.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Strict"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def secret_problem(secret: str) -> str | None:
    """Why this key could be guessed, or None: known by name, under 256 bits, or too little variety."""
    if secret.strip().lower() in {known.lower() for known in KNOWN_SECRETS}:
        return "it is written in this project's files, so it is public"
    if not secret:
        return "it is empty"
    alphabet = 16 if all(ch in "0123456789abcdefABCDEF" for ch in secret) else (
        64 if all(ch.isascii() and (ch.isalnum() or ch in "-_=") for ch in secret) else 95)
    if len(secret) * math.log2(alphabet) < SECRET_MIN_BITS:
        return f"it carries under {SECRET_MIN_BITS} bits (64 hex or 43 URL-safe base64 characters at least)"
    counts = Counter(secret)
    observed = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values()) * len(secret)
    # A random 64-hex or 43-base64 key measures at least 180 bits here; repeated or few characters far less.
    repeated = any(secret.count(secret[i:i + 8]) > 1 for i in range(len(secret) - 7))
    if observed < 160 or repeated:
        return "its characters repeat too much to be random"
    return None


def config_for(env: str) -> type[Config]:
    """The settings class BOOKING_ENV names; any other name refuses to start."""
    if env not in CONFIGS:
        raise RuntimeError(f"BOOKING_ENV must be one of {', '.join(CONFIGS)}, not {env!r}")
    return CONFIGS[env]


def validate(config) -> None:
    """Refuse to start on settings that would lose requests, expose patients' answers or staff accounts, or fail
    on a patient's visit; create_app calls this once, with the test config applied."""
    from booking.branding import check_brand  # the brand's own colour maths; booking imports config

    _refuse_unsafe(config)
    _check_opening_hours(config["CLINIC_OPENING_HOURS"])
    check_brand(config)


def _check_opening_hours(lines: list[str]) -> None:
    """The info page's JSON-LD reads them on every first render: refuse a typo at start, not on a patient's visit."""
    from booking.public.clinic_schema import parse_opening_hours  # the page's own parser; booking imports config

    try:
        parse_opening_hours(lines)
    except ValueError as exc:
        raise RuntimeError(f"CLINIC_OPENING_HOURS: {exc}") from None


def _refuse_unsafe(config) -> None:
    """Refuse settings that would lose requests or expose patients' answers or staff accounts.

    config["BOOKING_ENV_SOURCE"] says who chose BOOKING_ENV: "environment", "default" (nobody: development),
    or "test_suite" (create_app's test_config with TESTING, which the environment cannot give).
    """
    env, source = config["BOOKING_ENV"], config.get("BOOKING_ENV_SOURCE", "environment")
    if env == "testing" and source != "test_suite":
        raise RuntimeError("BOOKING_ENV=testing is for the test suite only: its key is public. "
                           "Use production, or development on your own machine.")
    if not config["CLINIC_EMAIL"]:
        raise RuntimeError("CLINIC_EMAIL is empty: new requests would notify nobody.")
    if config["CLINIC_COUNTRY"] not in phonenumbers.SUPPORTED_REGIONS:
        raise RuntimeError("CLINIC_COUNTRY must be a two-letter country code, such as US or GB")
    if config["NOTIFY_DETAILS"] not in {"full", "minimal"}:
        raise RuntimeError("NOTIFY_DETAILS must be 'full' or 'minimal'")
    secret = config.get("SECRET_KEY") or ""
    if source == "default":  # nobody said development: only a key that is not the placeholder
        if secret.strip().lower() in {"", PLACEHOLDER_SECRET, "changeme", "change-me", "secret", "dev"} \
                or len(secret) < 24:
            raise RuntimeError(
                f"SECRET_KEY is missing or a placeholder: set a long random value ({GENERATE_SECRET}), "
                "or set BOOKING_ENV=development to try the app on your own machine.")
    if env != "production":
        return
    for name, value in [("SECRET_KEY", secret)] + [
            (f"SECRET_KEY_FALLBACKS[{i}]", old) for i, old in enumerate(config.get("SECRET_KEY_FALLBACKS") or ())]:
        problem = secret_problem(value or "")
        if problem:
            raise RuntimeError(f"{name} is missing or a placeholder: {problem}. Set one made by {GENERATE_SECRET}.")
    _refuse_unprotected_mail(config)
    if not config["PUBLIC_BASE_URL"].lower().startswith("https://") or not urlsplit(config["PUBLIC_BASE_URL"]).hostname:
        raise RuntimeError("PUBLIC_BASE_URL must start with https:// in production: staff links carry sessions.")


def _refuse_unprotected_mail(config) -> None:
    """Notifications and MAIL_PASSWORD cross the network only inside TLS, unless the relay is on this machine."""
    server = (config.get("MAIL_SERVER") or "").strip()
    if not server:
        raise RuntimeError("MAIL_SERVER is not set: in production the clinic's notifications must be sent.")
    if not (config.get("MAIL_USE_TLS") or config.get("MAIL_USE_SSL")) and not _is_loopback(server):
        raise RuntimeError(
            f"MAIL_SERVER {server} is not on this machine and neither MAIL_USE_TLS nor MAIL_USE_SSL is on: "
            "mail and the mail password would cross the network unencrypted."
        )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
