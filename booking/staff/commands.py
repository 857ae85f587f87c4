"""`flask create-staff` and `flask purge`: the operator's side of staff accounts and retention."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from booking.extensions import db
from booking.models import StaffUser
from booking.outbox.admin import delete_copies
from booking.staff.forms import PASSWORD_MIN
from booking.staff.operations.accounts import StaffExists, create_staff
from booking.staff.operations.erasure import purge_expired_requests
from booking.staff.operations.passwords import COMMON_PASSWORD, is_common
from booking.staff.operations.sessions import sweep_expired_sessions
from booking.staff.operations.two_step import reset_two_step
from booking.storage import fold_write_ahead_log


@click.command("create-staff")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May add and disable other staff, export and erase.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_staff_command(email: str, admin: bool, password_stdin: bool) -> None:
    """Create a staff account for EMAIL; asks for the password twice unless --password-stdin."""
    if "@" not in email or len(email) > 254:
        raise click.BadParameter("that is not an email address", param_hint="EMAIL")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < PASSWORD_MIN:
        raise click.ClickException(f"The password must be at least {PASSWORD_MIN} characters.")
    if is_common(password):
        raise click.ClickException(COMMON_PASSWORD)
    try:
        staff = create_staff(email, password, admin)
    except StaffExists:
        raise click.ClickException(f"There is already a staff account for {email}.") from None
    db.session.commit()
    click.echo(f"Created {'administrator' if admin else 'staff'} account {staff.email}.")


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete every request with no activity for RETENTION_DAYS, whatever its status, with its emails and history,
    and every staff session past its limits."""
    days = current_app.config["RETENTION_DAYS"]
    references, copies = purge_expired_requests(days)
    db.session.commit()
    delete_copies(copies)  # files no rollback brings back: only once the rows are surely gone
    fold_write_ahead_log()  # the purged rows leave the -wal file too
    click.echo(f"Purged {len(references)} request(s) with no activity in the last {days} days.")
    swept = sweep_expired_sessions()
    db.session.commit()
    click.echo(f"Deleted {swept} expired staff session(s).")


@click.command("reset-two-step")
@click.argument("email")
@with_appcontext
def reset_two_step_command(email: str) -> None:
    """Remove EMAIL's two-step set-up (lost phone and codes, or the last administrator's); they set up again."""
    staff = db.session.execute(
        db.select(StaffUser).filter_by(email=email.strip().lower())
    ).scalar_one_or_none()
    if staff is None:
        raise click.ClickException(f"There is no staff account for {email}.")
    reset_two_step(staff, by=None)
    db.session.commit()
    click.echo(f"Two-step sign-in reset for {staff.email}: they set it up again at their next sign-in.")
