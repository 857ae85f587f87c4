"""Migrations: they build the schema the models describe, and go down and up again cleanly."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from booking.extensions import db


ALL_TABLES = {"consultation_request", "notification", "staff_user", "request_event", "practitioner", "time_off",
              "appointment", "booked_cell", "waitlist_entry", "staff_session", "staff_recovery_code",
              "sign_in_failure", "staff_event", "consent_record", "consent_review", "waitlist_offer"}


def table_names(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_creates_every_table(make_app, tmp_path):
    """From an empty file, as on a new server: every other test copies a schema these same migrations built."""
    empty = tmp_path / "empty.sqlite3"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{empty}")  # its own database: make_app migrates it
    assert table_names(app) == ALL_TABLES


def test_models_have_not_drifted_from_the_migrations(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_downgrade_to_base_and_upgrade_again(app, submit):
    submit()
    with app.app_context():
        downgrade(revision="base")
    assert table_names(app) == set()
    with app.app_context():
        upgrade()
    assert table_names(app) == ALL_TABLES


def test_every_revision_has_a_readable_name():
    from pathlib import Path

    for script in Path("migrations/versions").glob("*.py"):
        first_line = script.read_text().splitlines()[0]
        assert first_line.startswith('"""') and len(first_line) > 12, script.name
