"""Juniper Physical Therapy's dry-needling page and consultation requests."""

import ipaddress
import os
import sqlite3

import phonenumbers
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from booking.logs import configure_logging
from config import CONFIGS, PLACEHOLDER_SECRET

WEAK_SECRETS = {"", PLACEHOLDER_SECRET, "changeme", "change-me", "secret", "dev", "development"}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: load config, bind extensions, register blueprints, errors and commands."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or os.path.join(root, "instance"),
        template_folder=os.path.join(root, "templates"),
    )
    env = os.environ.get("BOOKING_ENV", "development")
    # Only an operator who said "development" (or a test) may run on the placeholder secret.
    explicit = "BOOKING_ENV" in os.environ
    if test_config is not None and test_config.get("TESTING"):
        env, explicit = "testing", True
    if env not in CONFIGS:
        raise RuntimeError(f"BOOKING_ENV must be one of {', '.join(CONFIGS)}, not {env!r}")
    app.config.from_object(CONFIGS[env])
    app.config["BOOKING_ENV"] = env
    if test_config:
        app.config.update(test_config)
    _finish_config(app)
    _refuse_unsafe_settings(app, explicit)
    configure_logging(app)

    register_extensions(app)
    register_cookie_session(app)
    register_blueprints(app)
    register_emails(app)
    register_errorhandlers(app)
    register_commands(app)
    register_outbox_worker(app)
    # WSGI middleware, innermost first, each wrapping what came before: a kept page is answered before
    # Flask, and still leaves with the security headers and its own request id.
    register_page_cache(app)
    register_security_headers(app)
    register_request_ids(app)
    return app


def _finish_config(app: Flask) -> None:
    """Fill in defaults that depend on the instance folder, and refuse unsafe production settings."""
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = os.path.join(app.instance_path, "booking.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config.get("MAIL_FILE_DIR"):
        app.config["MAIL_FILE_DIR"] = os.path.join(app.instance_path, "mail")
    if not app.config["CLINIC_EMAIL"]:
        raise RuntimeError("CLINIC_EMAIL is empty: new requests would notify nobody.")
    if app.config["CLINIC_COUNTRY"] not in phonenumbers.SUPPORTED_REGIONS:
        raise RuntimeError("CLINIC_COUNTRY must be a two-letter country code, such as US or GB")
    if app.config["NOTIFY_DETAILS"] not in {"full", "minimal"}:
        raise RuntimeError("NOTIFY_DETAILS must be 'full' or 'minimal'")
    _warn_if_limits_are_per_process(app)
    if app.config.get("PROXY_COUNT"):
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _warn_if_limits_are_per_process(app: Flask) -> None:
    """memory:// counts in each process: with N gunicorn workers a limit of 5 lets 5 x N through."""
    storage = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    try:
        workers = int(os.environ.get("WEB_CONCURRENCY") or 1)
    except ValueError:
        workers = 1
    if storage.startswith("memory://") and workers > 1:
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory:// with %d workers: each counts alone, so every rate limit is "
            "multiplied by %d. Set RATELIMIT_STORAGE_URI=redis://... to share the counts.", workers, workers)


def _refuse_unsafe_settings(app: Flask, env_explicit: bool) -> None:
    """Refuse to start on settings that would expose patients' answers or staff passwords."""
    env = app.config["BOOKING_ENV"]
    secret = app.config.get("SECRET_KEY") or ""
    weak = secret.strip().lower() in WEAK_SECRETS or len(secret) < 24
    if weak and (env == "production" or not env_explicit):
        raise RuntimeError(
            "SECRET_KEY is missing or a placeholder: set a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))'), or set BOOKING_ENV=development "
            "to try the app on your own machine."
        )
    if env != "production":
        return
    _refuse_unprotected_mail(app.config)
    if not app.config["PUBLIC_BASE_URL"].lower().startswith("https://"):
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


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL with full syncs, a busy timeout and enforced foreign keys on every SQLite connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Said, not left to how SQLite was built: a patient told "received" has a row that survives power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Erased answers are overwritten with zeros, not left readable in the file's free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def register_extensions(app: Flask) -> None:
    from booking.extension_hooks import register_extension_hooks
    from booking.extensions import csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    register_extension_hooks(app, limiter)


def register_cookie_session(app: Flask) -> None:
    from booking.cookie_session import CookieSession

    app.session_interface = CookieSession()


def register_blueprints(app: Flask) -> None:
    from booking import branding, i18n, templating
    from booking.phone import to_e164
    from booking.appointments.views import bp as appointments_bp
    from booking.intake.views import bp as intake_bp
    from booking.public.views import bp as public_bp
    from booking.staff import bp as staff_bp

    # Patients read these pages in English at their own URLs, and in Spanish under /es; staff in English.
    i18n.register_in_both_languages(app, public_bp)
    i18n.register_in_both_languages(app, intake_bp)
    app.register_blueprint(staff_bp)
    i18n.register_in_both_languages(app, appointments_bp)
    i18n.register(app)
    templating.register(app)
    branding.register(app)

    @app.context_processor
    def clinic_details() -> dict:
        """Every template may show the clinic's name, phone, address and hours (in the page's language)."""
        cfg = app.config
        spanish = i18n.current_language() == "es"
        return {
            "clinic": {
                "name": cfg["CLINIC_NAME"],
                "phone": cfg["CLINIC_PHONE"],
                "phone_href": to_e164(cfg["CLINIC_PHONE"], cfg["CLINIC_COUNTRY"])
                or "".join(ch for ch in cfg["CLINIC_PHONE"] if ch.isdigit() or ch == "+"),
                "email": cfg["CLINIC_PUBLIC_EMAIL"],
                "address": cfg["CLINIC_ADDRESS"],
                "hours": cfg["CLINIC_HOURS_ES"] if spanish else cfg["CLINIC_HOURS"],
                "response_time": cfg["CLINIC_RESPONSE_TIME_ES"] if spanish else cfg["CLINIC_RESPONSE_TIME"],
                "emergency_number": cfg["CLINIC_EMERGENCY_NUMBER"],
            }
        }


def register_emails(app: Flask) -> None:
    """Each feature tells the outbox how to build the emails it owns."""
    from booking.appointments.emails import register_emails as register_appointment_emails
    from booking.intake.emails import register_emails as register_intake_emails
    from booking.lifecycle.emails import register_emails as register_lifecycle_emails

    register_intake_emails()
    register_appointment_emails()
    register_lifecycle_emails()


def register_security_headers(app: Flask) -> None:
    from booking.security import SecurityHeaders

    app.wsgi_app = SecurityHeaders(app.wsgi_app, hsts=bool(app.config.get("HSTS")))


def register_request_ids(app: Flask) -> None:
    from booking.logs import RequestIds

    app.wsgi_app = RequestIds(app.wsgi_app)


def register_errorhandlers(app: Flask) -> None:
    from booking.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from booking.appointments.commands import practitioner_group, seed_demo_command
    from booking.outbox.commands import send_mail_command
    from booking.staff.commands import create_staff_command, purge_command, reset_two_step_command

    app.cli.add_command(send_mail_command)
    app.cli.add_command(create_staff_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(practitioner_group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(reset_two_step_command)


def register_page_cache(app: Flask) -> None:
    """A page the same for everyone is answered from memory before Flask runs."""
    from booking.public.page_cache import PageCache

    app.wsgi_app = PageCache(app.wsgi_app)


def register_outbox_worker(app: Flask) -> None:
    from booking.outbox.worker import start_worker_on_first_request

    start_worker_on_first_request(app)
