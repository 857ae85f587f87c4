"""`flask send-mail`: an operator's "deliver everything now", the cron job's safety net, or (--watch) the worker."""

import signal
import time

import click
from flask.cli import ScriptInfo, pass_script_info, with_appcontext

from booking.clock import clinic_time
from booking.outbox.admin import count_refused, count_undelivered, next_automatic_try
from booking.outbox.delivery import deliver_due
from booking.outbox.worker import MailWatcher


@click.command("send-mail")
@click.option("--watch", is_flag=True,
              help="Keep running as the mail worker: deliver due mail as it arrives, until SIGTERM.")
@click.option("--batch", default=100, show_default=True, help="With --watch: emails claimed per pass.")
@with_appcontext
@pass_script_info
def send_mail_command(script_info: ScriptInfo, watch: bool, batch: int) -> None:
    """Deliver every pending notification now, whatever the backoff. Exit 1 if any is left undelivered."""
    if watch:
        _watch(script_info.load_app(), batch)
        return
    started = time.monotonic()
    report = deliver_due(batch_size=None, honour_backoff=False)
    click.echo(f"Sent {len(report.sent)} notification(s); {len(report.failed)} failed and will be retried.")
    click.echo(f"The pass took {time.monotonic() - started:.2f} s.")  # bench/run reads it: the drain without start-up
    if report.refused:
        click.echo(f"{len(report.refused)} had their address refused by the mail server and will not be "
                   "retried until staff retry them on the outbox page (/staff/outbox).")
    if report.busy:
        click.echo(f"{report.busy} due notification(s) were being sent by another process.")
    _say_what_is_waiting()
    raise SystemExit(1 if report.undelivered else 0)


def _watch(app, batch: int) -> None:
    """Run the long-lived worker; SIGTERM or Ctrl-C lets it finish the email in hand, then it exits 0."""
    watcher = MailWatcher(app, batch_size=batch)
    previous = {sig: signal.signal(sig, watcher.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        watcher.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _say_what_is_waiting() -> None:
    """Always: how many are still waiting, how many wait for staff, and when the next automatic try is."""
    click.echo(f"{count_undelivered()} notification(s) are waiting in the outbox in all.")
    refused = count_refused()
    if refused:
        click.echo(f"{refused} of them wait for staff on the outbox page (/staff/outbox): address refused.")
    next_try = next_automatic_try()
    if next_try is not None:
        click.echo(f"Next automatic try: {clinic_time(next_try).strftime('%Y-%m-%d %H:%M %Z')}.")
