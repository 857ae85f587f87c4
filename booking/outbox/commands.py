"""`flask send-mail`: deliver every notification that is due, for cron or by hand."""

import click
from flask.cli import with_appcontext

from booking.outbox.delivery import count_undelivered, deliver_due


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Deliver every notification due now, retrying failed ones. Exit 1 if any due one is left undelivered."""
    report = deliver_due(batch_size=None)
    click.echo(f"Sent {len(report.sent)} notification(s); {len(report.failed)} failed and will be retried.")
    if report.refused:
        click.echo(f"{len(report.refused)} had their address refused by the mail server and will not be "
                   "retried until staff retry them on the outbox page (/staff/outbox).")
    if report.busy:
        click.echo(f"{report.busy} due notification(s) were being sent by another process.")
    click.echo(f"{count_undelivered()} notification(s) are waiting in the outbox in all.")
    raise SystemExit(1 if report.undelivered else 0)
