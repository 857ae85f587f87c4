"""States are enums: workflow.py's transitions, the CHECK constraints, and the migration that added them."""

import itertools

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from booking import create_app
from booking.extensions import db
from booking.lifecycle import operations
from booking.lifecycle.workflow import TRANSITIONS, WorkflowError
from booking.models import ConsultationRequest, RequestEvent
from booking.staff.operations.accounts import create_staff
from booking.states import CloseReason, NotificationStatus, RequestStatus


def change_status(consultation, to_status, staff, closed_reason=None):
    """A status chosen by a staff member, committed once as the view does; a refusal leaves nothing."""
    try:
        event = operations.change_status(consultation, to_status, operations.by_staff(staff), closed_reason)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return event

BEFORE = "5f2ac14a223e"
STATE_CHECKS = {
    "consultation_request": {"ck_consultation_request_status", "ck_consultation_request_closed_reason"},
    "notification": {"ck_notification_status"},
    "request_event": {"ck_request_event_from_status", "ck_request_event_to_status",
                      "ck_request_event_closed_reason", "ck_request_event_actor"},
}
# (table, column, a valid value): each column is tried with a typo of its own.
STATE_COLUMNS = [
    ("consultation_request", "status", "new"),
    ("consultation_request", "closed_reason", "booked"),
    ("notification", "status", "pending"),
    ("request_event", "from_status", "new"),
    ("request_event", "to_status", "contacted"),
    ("request_event", "closed_reason", "booked"),
    ("request_event", "actor", "staff"),
]
_names = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_app(request, tmp_path):
    """The app, not yet migrated, on a fresh SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'booking.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"states_{next(_names)}")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "MAIL_FILE_DIR": str(tmp_path / "mail")})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_any_db_app(request, make_app):
    """The app on a migrated SQLite file and on a migrated PostgreSQL database (copies of the session's
    templates, which the real migrations built)."""
    if request.param == "sqlite":
        return make_app(MAIL_SERVER="")
    return make_app(MAIL_SERVER="", SQLALCHEMY_DATABASE_URI=request.getfixturevalue("postgres_url"))


def test_every_allowed_move_succeeds_and_every_other_is_refused(app, submit):
    submit()
    with app.app_context():
        staff = create_staff("desk@clinic.test", "a long enough password")
        db.session.commit()
        consultation = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        for start, target in itertools.product(RequestStatus, RequestStatus):
            consultation.status = start
            db.session.commit()
            events_before = len(consultation.events)
            if target in TRANSITIONS[start]:
                event = change_status(consultation, target.value, staff, closed_reason="other")
                assert consultation.status is target and event.from_status is start and event.to_status is target
                assert (consultation.closed_reason is CloseReason.OTHER) == (target is RequestStatus.CLOSED)
                assert (consultation.closed_at is not None) == (target is RequestStatus.CLOSED)
            else:
                with pytest.raises(WorkflowError, match=f"A {start} request cannot be marked {target}."):
                    change_status(consultation, target.value, staff, closed_reason="other")
                db.session.refresh(consultation)
                assert consultation.status is start and len(consultation.events) == events_before
        # Every status can be reached, and left.
        assert set(TRANSITIONS) == set(RequestStatus)
        assert set(itertools.chain(*TRANSITIONS.values())) == set(RequestStatus) - {RequestStatus.NEW}


@pytest.mark.parametrize("reason", [None, "", "nwe"])
def test_closing_needs_a_real_reason(app, submit, reason):
    submit()
    with app.app_context():
        staff = create_staff("desk@clinic.test", "a long enough password")
        db.session.commit()
        consultation = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        with pytest.raises(WorkflowError, match="Choose why the request is being closed."):
            change_status(consultation, "closed", staff, closed_reason=reason)
        with pytest.raises(WorkflowError, match="A new request cannot be marked nwe."):
            change_status(consultation, "nwe", staff)
        assert consultation.status is RequestStatus.NEW


def test_states_are_stored_as_the_strings_they_always_were(app, submit):
    submit()
    with app.app_context():
        stored = db.session.execute(text("SELECT status, closed_reason FROM consultation_request")).one()
        kinds = db.session.execute(text("SELECT DISTINCT status FROM notification")).scalars().all()
        loaded = db.session.execute(db.select(ConsultationRequest)).scalar_one()
    assert tuple(stored) == ("new", None) and kinds == ["pending"]
    assert loaded.status is RequestStatus.NEW and loaded.status.title == "New"
    assert [s.value for s in NotificationStatus] == ["pending", "sent", "refused", "withdrawn"]


def _seed(app):
    """A request, its two emails and a history event, stored as the app stores them."""
    client = app.test_client()
    from tests.conftest import open_form, valid_answers

    assert client.post("/consultation", data={**open_form(client), **valid_answers()}).status_code == 303
    with app.app_context():
        staff = create_staff("desk@clinic.test", "a long enough password")
        db.session.commit()
        consultation = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        change_status(consultation, "closed", staff, closed_reason="booked")


@pytest.mark.parametrize("table, column, valid", STATE_COLUMNS)
def test_the_database_refuses_a_typo_in_a_state(migrated_any_db_app, table, column, valid):
    any_db_app = migrated_any_db_app
    _seed(any_db_app)
    with any_db_app.app_context():
        db.session.execute(text(f"UPDATE {table} SET {column} = :value"), {"value": valid})
        db.session.commit()  # the same statement with a real value is accepted
        with pytest.raises(IntegrityError):
            db.session.execute(text(f"UPDATE {table} SET {column} = 'nwe'"))
            db.session.commit()
        db.session.rollback()
        assert db.session.execute(text(f"SELECT DISTINCT {column} FROM {table}")).scalars().all() == [valid]


def _check_names(app) -> dict[str, set[str]]:
    with app.app_context():
        found = inspect(db.engine)
        return {table: {c["name"] for c in found.get_check_constraints(table)} for table in STATE_CHECKS}


def test_the_migration_goes_up_and_down_keeping_the_history(any_db_app):
    with any_db_app.app_context():
        upgrade(revision=BEFORE)
        # History written before this revision: '' meant "none".
        db.session.execute(text(
            "INSERT INTO consultation_request (reference, submission_token, created_at, status, name, email,"
            " phone, contact_method, condition, condition_other, body_area, side, duration, description,"
            " had_dry_needling, screening_flags, preferred_days, preferred_times, consent_contact,"
            " consent_privacy, closed_reason, flagged) VALUES ('JPT-AAAA-BBBB', 't', CURRENT_TIMESTAMP,"
            " 'contacted', 'Ana', 'ana@example.org', '', 'email', 'other', '', '', '', '', 'Heel', '',"
            " '[]', '[]', '[]', true, true, '', false)"))
        db.session.execute(text(
            "INSERT INTO request_event (request_id, created_at, from_status, to_status, closed_reason, note)"
            " SELECT id, CURRENT_TIMESTAMP, 'new', 'contacted', '', '' FROM consultation_request"))
        db.session.execute(text(
            "INSERT INTO request_event (request_id, created_at, from_status, to_status, closed_reason, note)"
            " SELECT id, CURRENT_TIMESTAMP, '', '', '', 'Called back' FROM consultation_request"))
        db.session.commit()
        db.session.remove()
    assert _check_names(any_db_app) == {table: set() for table in STATE_CHECKS}

    with any_db_app.app_context():
        upgrade()
        db.session.remove()
    assert _check_names(any_db_app) == STATE_CHECKS
    with any_db_app.app_context():
        consultation = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        history = [(e.from_status, e.to_status, e.closed_reason, e.note) for e in consultation.events]
        assert (consultation.status, consultation.closed_reason) == (RequestStatus.CONTACTED, None)
        assert history == [(RequestStatus.NEW, RequestStatus.CONTACTED, None, ""), (None, None, None, "Called back")]
        db.session.remove()
    drift = any_db_app.test_cli_runner().invoke(args=["db", "check"])
    assert drift.exit_code == 0, drift.output

    with any_db_app.app_context():
        downgrade(revision=BEFORE)
        rows = db.session.execute(text(
            "SELECT from_status, to_status, closed_reason, note FROM request_event ORDER BY id")).all()
        closed_reason = db.session.execute(text("SELECT closed_reason FROM consultation_request")).scalar_one()
        db.session.remove()
    assert [tuple(row) for row in rows] == [("new", "contacted", "", ""), ("", "", "", "Called back")]
    assert closed_reason == ""
    assert _check_names(any_db_app) == {table: set() for table in STATE_CHECKS}
    with any_db_app.app_context():
        upgrade()
        assert db.session.execute(db.select(db.func.count(RequestEvent.id))).scalar_one() == 2
