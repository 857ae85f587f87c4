"""`flask practitioner ...` and `flask seed-demo`: practitioners and their hours from set-up scripts."""

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from booking.appointments.hours import HoursSpecError, TimeOffError
from booking.appointments.operations.practitioners import (
    PractitionerError,
    add_practitioner,
    add_time_off,
    all_practitioners,
    describe_time_off,
    find_practitioner,
    seed_demo_practitioner,
    set_hours,
    upcoming_time_off,
)
from booking.extensions import db
from booking.models import Practitioner

practitioner_group = AppGroup("practitioner", help="Add practitioners and set their weekly hours and time off.")

HOURS_HELP = 'Weekly hours on the clinic\'s clock, e.g. "mon-fri 09:00-12:00,13:00-17:00; sat 08:00-12:00".'


def _named(name: str) -> Practitioner:
    practitioner = find_practitioner(name)
    if practitioner is None:
        raise click.ClickException(
            f'There is no practitioner named "{name}"; `flask --app booking practitioner list` shows them all.'
        )
    return practitioner


@practitioner_group.command("add")
@click.argument("name")
@click.option("--hours", required=True, help=HOURS_HELP)
@click.option("--email", default=None, help="Their address (optional).")
def add_command(name: str, hours: str, email: str | None) -> None:
    """Add practitioner NAME with their weekly hours."""
    try:
        practitioner = add_practitioner(name, hours, email)
    except HoursSpecError as error:
        raise click.BadParameter(str(error), param_hint="--hours") from None
    except PractitionerError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Added {practitioner.name}: {practitioner.hours}")


@practitioner_group.command("hours")
@click.argument("name")
@click.argument("spec")
def hours_command(name: str, spec: str) -> None:
    """Set the weekly hours of practitioner NAME to SPEC."""
    practitioner = _named(name)
    try:
        set_hours(practitioner, spec)
    except HoursSpecError as error:
        raise click.BadParameter(str(error), param_hint="SPEC") from None
    db.session.commit()
    click.echo(f"{practitioner.name}: {practitioner.hours}")


@practitioner_group.command("time-off")
@click.argument("name")
@click.argument("from_", metavar="FROM")
@click.argument("to", required=False)
def time_off_command(name: str, from_: str, to: str | None) -> None:
    """NAME is away from FROM to TO (YYYY-MM-DD for whole days, or YYYY-MM-DD HH:MM), clinic's clock.

    With no TO, the time off runs to the end of FROM's day.
    """
    practitioner = _named(name)
    try:
        time_off = add_time_off(practitioner, from_, to)
    except TimeOffError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"{practitioner.name} is away {describe_time_off(time_off)}.")


@practitioner_group.command("training")
@click.argument("name")
@click.argument("statement")
def training_command(name: str, statement: str) -> None:
    """The dry-needling training statement the consent shows for NAME ("" clears it)."""
    practitioner = _named(name)
    practitioner.dry_needling_training = " ".join(statement.split()) or None
    db.session.commit()
    click.echo(f"{practitioner.name}: {practitioner.dry_needling_training or 'no training statement'}")


@practitioner_group.command("list")
def list_command() -> None:
    """Every practitioner with their hours and the time off still to come."""
    practitioners = all_practitioners()
    if not practitioners:
        click.echo("No practitioners yet: add one with `flask --app booking practitioner add NAME --hours SPEC`.")
    for practitioner in practitioners:
        state = "active" if practitioner.active else "inactive"
        email = f", {practitioner.email}" if practitioner.email else ""
        click.echo(f"{practitioner.name} ({state}{email})")
        click.echo(f"  hours: {practitioner.hours or 'none'}")
        away = upcoming_time_off(practitioner)
        click.echo(f"  time off: {'; '.join(describe_time_off(t) for t in away) if away else 'none'}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Development only: add "Demo therapist" with weekday hours when there is no practitioner yet."""
    if not current_app.config.get("SEED_DEMO_PRACTITIONER"):
        raise click.ClickException(
            "Not seeding: SEED_DEMO_PRACTITIONER is on in development only, and this is "
            f"{current_app.config['BOOKING_ENV']}."
        )
    practitioner = seed_demo_practitioner()
    db.session.commit()
    if practitioner is None:
        click.echo("There is already a practitioner: nothing seeded.")
    else:
        click.echo(f"Seeded {practitioner.name}: {practitioner.hours}")
