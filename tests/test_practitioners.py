"""`flask practitioner ...` and `flask seed-demo`: what set-up scripts type, and what they are told back."""

import secrets
import threading
from datetime import datetime

import pytest
import time_machine

from booking.appointments.operations.practitioners import PractitionerExists, add_practitioner
from booking.extensions import db
from booking.models import Practitioner, TimeOff
from tests.factories import make_practitioner
from tests.fixtures.servers import flask, migrated_sqlite

ISSUE_SPEC = "mon-fri 09:00-12:00,13:00-17:00; sat 08:00-12:00"


def practitioners(app) -> list[Practitioner]:
    with app.app_context():
        return list(db.session.execute(db.select(Practitioner).order_by(Practitioner.id)).scalars())


def time_off_of(app, name: str) -> list[tuple[datetime, datetime]]:
    with app.app_context():
        query = db.select(TimeOff.starts_at, TimeOff.ends_at).join(Practitioner).where(Practitioner.name == name)
        return [tuple(row) for row in db.session.execute(query.order_by(TimeOff.starts_at))]


def test_add_stores_the_canonical_hours_and_list_shows_them(app, runner):
    added = runner.invoke(args=["practitioner", "add", "Avery  Lee", "--hours", " SAT 08:00-12:00 ; Mon-Fri 13:00-17:00,09:00-12:00",
                                "--email", "avery@clinic.example"])
    assert added.exit_code == 0, added.output
    assert added.output == f"Added Avery Lee: {ISSUE_SPEC}\n"
    assert runner.invoke(args=["practitioner", "add", "Sam Ortiz", "--hours", "tue 10:00-14:00"]).exit_code == 0
    [avery, sam] = practitioners(app)
    assert (avery.name, avery.hours, avery.email, avery.active) == ("Avery Lee", ISSUE_SPEC, "avery@clinic.example", True)
    assert (sam.hours, sam.email) == ("tue 10:00-14:00", None)

    listed = runner.invoke(args=["practitioner", "list"])
    assert listed.exit_code == 0
    assert listed.output == (
        "Avery Lee (active, avery@clinic.example)\n"
        f"  hours: {ISSUE_SPEC}\n"
        "  time off: none\n"
        "Sam Ortiz (active)\n"
        "  hours: tue 10:00-14:00\n"
        "  time off: none\n"
    )


def test_list_says_when_there_is_nobody(runner):
    listed = runner.invoke(args=["practitioner", "list"])
    assert listed.exit_code == 0 and "No practitioners yet" in listed.output


BAD_SPECS = [
    ("", 'the hours are empty: write e.g. "mon-fri 09:00-12:00,13:00-17:00"'),
    ("tus 09:00-12:00", '"tus" is not a day: use mon, tue, wed, thu, fri, sat or sun'),
    ("fri-mon 09:00-12:00", '"fri-mon" runs backwards: days run from mon to sun, so write "mon,fri-sun"'),
    ("mon 13:00-12:00", '"13:00-12:00" ends before it starts'),
    ("mon 09:00-12:00,11:00-13:00", '"11:00-13:00" overlaps "09:00-12:00"'),
    ("mon-fri 09:00-12:00; wed 13:00-17:00", '"wed" is given twice: put all of a day\'s times in one group'),
    ("mon 09:07-12:00",
     '"09:07" is not on the 5-minute grid: appointments start and end on :00, :05, :10 ...'),
    ("mon 9am-12pm", '"9am" is not a time of day: write 24-hour HH:MM, e.g. "13:30"'),
    ("sat", '"sat" has no times: write e.g. "sat 09:00-12:00"'),
]


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS)
def test_a_bad_spec_is_refused_naming_the_wrong_part(app, runner, spec, message):
    make_practitioner_in(app, "Sam Ortiz", "tue 10:00-14:00")
    added = runner.invoke(args=["practitioner", "add", "Avery Lee", "--hours", spec])
    assert added.exit_code != 0
    assert f"Error: Invalid value for --hours: {message}\n" in added.output
    changed = runner.invoke(args=["practitioner", "hours", "Sam Ortiz", spec])
    assert changed.exit_code != 0
    assert f"Error: Invalid value for SPEC: {message}\n" in changed.output
    [sam] = practitioners(app)
    assert sam.hours == "tue 10:00-14:00"  # nothing half-saved


def make_practitioner_in(app, name: str, hours: str) -> None:
    with app.app_context():
        make_practitioner(name, hours)


def test_hours_replaces_the_weekly_hours(app, runner):
    make_practitioner_in(app, "Avery Lee", "mon 09:00-12:00")
    changed = runner.invoke(args=["practitioner", "hours", "Avery Lee", "sat 08:00-12:00; mon-fri 13:00-17:00"])
    assert changed.exit_code == 0, changed.output
    assert changed.output == "Avery Lee: mon-fri 13:00-17:00; sat 08:00-12:00\n"
    assert practitioners(app)[0].hours == "mon-fri 13:00-17:00; sat 08:00-12:00"


@pytest.mark.parametrize("args", [
    ["hours", "Nobody Here", "mon 09:00-12:00"],
    ["time-off", "Nobody Here", "2027-03-15"],
])
def test_an_unknown_name_is_named(app, runner, args):
    make_practitioner_in(app, "Avery Lee", "mon 09:00-12:00")
    result = runner.invoke(args=["practitioner", *args])
    assert result.exit_code != 0
    assert 'There is no practitioner named "Nobody Here"' in result.output
    assert time_off_of(app, "Avery Lee") == []


def test_a_second_practitioner_with_the_same_name_is_refused(app, runner):
    assert runner.invoke(args=["practitioner", "add", "Avery Lee", "--hours", "mon 09:00-12:00"]).exit_code == 0
    again = runner.invoke(args=["practitioner", "add", "Avery  Lee ", "--hours", "tue 09:00-12:00"])
    assert again.exit_code != 0
    assert 'there is already a practitioner named "Avery Lee"' in again.output
    assert [p.hours for p in practitioners(app)] == ["mon 09:00-12:00"]


def test_a_bad_email_is_refused(app, runner):
    result = runner.invoke(args=["practitioner", "add", "Avery Lee", "--hours", "mon 09:00-12:00", "--email", "avery@"])
    assert result.exit_code != 0 and '"avery@" is not an email address' in result.output
    assert practitioners(app) == []


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_administrators_adding_the_same_name_at_once_get_one_practitioner(make_app, request, database):
    """No lookup first: the unique constraint decides, so exactly one of several simultaneous adds wins."""
    config = {"SQLALCHEMY_DATABASE_URI": request.getfixturevalue("postgres_url")} if database == "postgresql" else {}
    app = make_app(MAIL_SERVER="", **config)
    attempts = 8
    start = threading.Barrier(attempts)
    outcomes: list[str] = []

    def add():
        with app.app_context():
            start.wait()
            try:
                add_practitioner("Avery Lee", "mon 09:00-12:00")
                db.session.commit()
                outcomes.append("added")
            except PractitionerExists:
                outcomes.append("exists")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=add) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["added"] + ["exists"] * (attempts - 1)
    assert [p.name for p in practitioners(app)] == ["Avery Lee"]


# CLINIC_TIMEZONE is America/New_York: EST (UTC-5) until 14 March 2027, EDT (UTC-4) after.
@pytest.mark.parametrize(("args", "said", "stored"), [
    (["2027-03-15"], "2027-03-15", (datetime(2027, 3, 15, 4), datetime(2027, 3, 16, 4))),
    (["2027-03-10", "2027-03-19"], "2027-03-10 to 2027-03-19", (datetime(2027, 3, 10, 5), datetime(2027, 3, 20, 4))),
    (["2027-03-15 13:00", "2027-03-15 17:30"], "2027-03-15 13:00 to 17:30 (America/New_York)",
     (datetime(2027, 3, 15, 17), datetime(2027, 3, 15, 21, 30))),
    (["2027-03-12T13:00", "2027-03-15 12:00"], "2027-03-12 13:00 to 2027-03-15 12:00 (America/New_York)",
     (datetime(2027, 3, 12, 18), datetime(2027, 3, 15, 16))),
])
@time_machine.travel(datetime(2027, 3, 1, 12), tick=False)
def test_time_off_is_read_on_the_clinic_clock_and_stored_in_utc(app, runner, args, said, stored):
    make_practitioner_in(app, "Avery Lee", "mon-fri 09:00-17:00")
    result = runner.invoke(args=["practitioner", "time-off", "Avery Lee", *args])
    assert result.exit_code == 0, result.output
    assert result.output == f"Avery Lee is away {said}.\n"
    assert time_off_of(app, "Avery Lee") == [stored]
    listed = runner.invoke(args=["practitioner", "list"]).output
    assert f"  time off: {said}\n" in listed


@pytest.mark.parametrize(("args", "message"), [
    (["15/03/2027"], 'FROM "15/03/2027" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'),
    (["2027-03-15", "tomorrow"], 'TO "tomorrow" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'),
    (["2027-03-15", "2027-03-14"], 'the time off ends ("2027-03-14") before it starts ("2027-03-15")'),
    (["2027-03-15 09:00", "2027-03-15 09:00"], 'the time off ends ("2027-03-15 09:00") when it starts ("2027-03-15 09:00")'),
    (["2027-03-14 02:30", "2027-03-14 05:00"],
     '"2027-03-14 02:30" does not exist in America/New_York: the clocks skip that time that day'),
])
def test_a_bad_time_off_is_refused_naming_the_wrong_part(app, runner, args, message):
    make_practitioner_in(app, "Avery Lee", "mon-fri 09:00-17:00")
    result = runner.invoke(args=["practitioner", "time-off", "Avery Lee", *args])
    assert result.exit_code != 0
    assert result.output == f"Error: {message}\n"
    assert time_off_of(app, "Avery Lee") == []


def test_list_shows_only_time_off_still_to_come(app, runner):
    make_practitioner_in(app, "Avery Lee", "mon-fri 09:00-17:00")
    with time_machine.travel(datetime(2027, 3, 1, 12), tick=False):
        for day in ("2027-03-02", "2027-03-20"):
            assert runner.invoke(args=["practitioner", "time-off", "Avery Lee", day]).exit_code == 0
    with time_machine.travel(datetime(2027, 3, 10, 12), tick=False):
        listed = runner.invoke(args=["practitioner", "list"]).output
    assert "  time off: 2027-03-20\n" in listed
    assert "2027-03-02" not in listed


# The demo seed, run as `make run` runs it: real processes, with the environment an operator sets.

@pytest.fixture
def operator_env(operator_env, tmp_path):
    """tests/fixtures/servers.py's, with no SEED_ setting of this machine's, on a migrated database (what
    `make run`'s `flask db upgrade` leaves; tests/test_operations.py runs that command)."""
    migrated_sqlite(operator_env["DATABASE_URL"])
    return {k: v for k, v in operator_env.items() if not k.startswith("SEED_")}


def test_development_seeds_one_demo_therapist_once(operator_env):
    seeded = flask(operator_env, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout == "Seeded Demo therapist: mon-fri 09:00-12:00,13:00-17:00\n"
    again = flask(operator_env, "seed-demo")
    assert again.returncode == 0 and again.stdout == "There is already a practitioner: nothing seeded.\n"
    listed = flask(operator_env, "practitioner", "list").stdout
    assert listed.startswith("Demo therapist (active)\n  hours: mon-fri 09:00-12:00,13:00-17:00\n")
    assert listed.count("(active") == 1


def test_development_does_not_seed_beside_a_real_practitioner(operator_env):
    assert flask(operator_env, "practitioner", "add", "Avery Lee", "--hours", "mon 09:00-12:00").returncode == 0
    seeded = flask(operator_env, "seed-demo")
    assert seeded.returncode == 0 and "nothing seeded" in seeded.stdout
    assert "Demo therapist" not in flask(operator_env, "practitioner", "list").stdout


def test_production_never_seeds(operator_env):
    env = {**operator_env, "BOOKING_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "MAIL_SERVER": "127.0.0.1", "PUBLIC_BASE_URL": "https://clinic.example"}
    refused = flask(env, "seed-demo")
    assert refused.returncode != 0
    assert "Not seeding: SEED_DEMO_PRACTITIONER is on in development only, and this is production." in refused.stderr
    assert flask(env, "practitioner", "list").stdout.startswith("No practitioners yet")


def test_tests_never_seed_either(app, runner):
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "this is testing" in refused.output
    assert practitioners(app) == []
