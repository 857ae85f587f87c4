"""Juniper Physical Therapy's dry-needling page and consultation requests."""

import os
import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from booking.logs import configure_logging
import config as settings


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: load config, bind extensions, register blueprints, errors and commands."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    checkout = os.path.isdir(os.path.join(root, "templates"))
    app = Flask(
        __name__,
        # Installed (a wheel, `pip install .`): Flask's own instance folder under the environment's prefix.
        instance_path=os.environ.get("INSTANCE_PATH") or (os.path.join(root, "instance") if checkout else None),
        template_folder=os.path.join(root if checkout else here, "templates"),
    )
    app.config["MIGRATIONS_DIRECTORY"] = os.path.join(root if checkout else here, "migrations")
    env = os.environ.get("BOOKING_ENV", "development")
    # Only an operator who said "development" (or the test suite) may run on the placeholder secret; only the
    # test suite, which passes TESTING in test_config (never read from the environment), may run as testing.
    source = "environment" if "BOOKING_ENV" in os.environ else "default"
    if test_config is not None and test_config.get("TESTING"):
        env, source = "testing", "test_suite"
    app.config.from_object(settings.config_for(env))
    app.config["BOOKING_ENV"] = env
    app.config["BOOKING_ENV_SOURCE"] = source
    if test_config:
        app.config.update(test_config)
    settings.validate(app.config)
    _finish_config(app)
    configure_logging(app)

    register_extensions(app)
    register_blueprints(app)
    register_emails(app)
    register_errorhandlers(app)
    register_commands(app)
    register_outbox_worker(app)
    # WSGI middleware, innermost first, each wrapping what came before: a kept page is answered before
    # Flask, and still leaves with the security headers and its own request id.
    register_page_cache(app)
    register_hosts(app)
    register_security_headers(app)
    register_request_ids(app)
    return app


def _finish_config(app: Flask) -> None:
    """Fill in defaults that depend on the instance folder."""
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = os.path.join(app.instance_path, "booking.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config.get("MAIL_FILE_DIR"):
        app.config["MAIL_FILE_DIR"] = os.path.join(app.instance_path, "mail")
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
        files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main" and row[2]]
        cursor.close()
        for path in files:
            owner_only(path)


def owner_only(database: str) -> None:
    """The database file, and its -wal and -shm beside it, readable by the app's own user alone (0600).

    SQLite gives the side files the main file's mode, so they follow it; the systemd units' UMask=0077 does
    the same for every file the app creates."""
    for path in (database, database + "-wal", database + "-shm"):
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        except OSError:  # not there (yet), or not ours to change
            pass


def register_extensions(app: Flask) -> None:
    from booking.extensions import csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIRECTORY"])
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from booking import branding, formatting, i18n, templating
    from booking.phone import to_e164
    from booking.appointments.views import bp as appointments_bp
    from booking.consent.views import bp as consent_bp
    from booking.fhir.views import bp as fhir_bp
    from booking.intake.views import bp as intake_bp
    from booking.public.views import bp as public_bp
    from booking.staff import bp as staff_bp

    # Patients read these pages in English at their own URLs, and in Spanish under /es; staff in English.
    i18n.register_in_both_languages(app, public_bp)
    i18n.register_in_both_languages(app, intake_bp)
    app.register_blueprint(staff_bp)
    i18n.register_in_both_languages(app, appointments_bp)
    i18n.register_in_both_languages(app, consent_bp)
    app.register_blueprint(fhir_bp)  # for other systems, not people: one language
    i18n.register(app)
    formatting.register(app)
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
    from booking.consent.emails import register_emails as register_consent_emails
    from booking.intake.emails import register_emails as register_intake_emails
    from booking.lifecycle.emails import register_emails as register_lifecycle_emails

    from booking.staff.emails import register_emails as register_staff_emails

    register_intake_emails()
    register_staff_emails()
    register_appointment_emails()
    register_lifecycle_emails()
    register_consent_emails()


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

    app.wsgi_app = PageCache(app.wsgi_app, app)


def register_hosts(app: Flask) -> None:
    from booking import hosts

    hosts.register(app)


def register_outbox_worker(app: Flask) -> None:
    from booking.outbox.worker import start_worker_on_first_request

    start_worker_on_first_request(app)
