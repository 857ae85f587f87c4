"""Who delivers: a thread in each web process (OUTBOX_WORKER), or `send-mail --watch` on its own."""

import math
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from booking.extensions import db
from booking.models import utcnow
from booking.outbox.claims import next_due_at
from booking.outbox.delivery import deliver_due
from booking.outbox.queue import CHANNEL, MAIL_QUEUED

# Claimed and sent over one SMTP connection per pass, as `send-mail --watch` does.
BATCH_SIZE = 100
# Patients' requests come first. While this process serves them (a request started within QUIET_SECONDS),
# the sender holds the mail back for up to BUSY_HOLD_SECONDS from the moment the process became busy: what
# a burst queues goes out in full batches once it is over. A process that stays busy longer is sent from in
# small batches taking at most BUSY_SHARE of the time: after a batch that took t seconds the sender waits
# t * (1 / BUSY_SHARE - 1). Mail is never starved, only delayed, and a burst keeps its speed.
# Why hold first: a turn costs the requests in flight more than its share. The sender thread holds the GIL
# while it builds an email, and on SQLite takes the one writer's lock for each durable commit, so a request
# served by the same process meanwhile waits about as long as the turn lasts. Sending in turns from a
# burst's start (one email each), submissions at 16 connections (bench/run's shape, SQLite, 4 alternating
# rounds) had a p99 of 86 to 126 ms, against 87 to 109 ms with the sender off and 83 to 96 ms holding the
# mail (docs/performance.md).
BUSY_HOLD_SECONDS = 30.0
BUSY_BATCH_SIZE = 1
BUSY_SHARE = 0.05
QUIET_SECONDS = 0.25


class OutboxWorker:
    """Wakes at every commit in this process that queued mail, and every OUTBOX_POLL_SECONDS to retry
    failures; each pass claims a batch and sends it over one connection, again while there was mail to send."""

    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.last_request_at = -math.inf  # time.monotonic() when this process last began a request
        self.busy_since = -math.inf  # when the requests that keep it busy now began
        self.next_busy_turn = -math.inf  # when the sender may send again while requests keep coming

    def request_started(self) -> None:
        now = time.monotonic()
        if now - self.last_request_at >= QUIET_SECONDS:
            self.busy_since = now
        self.last_request_at = now

    def ensure_running(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)
                self.thread.start()

    def go(self) -> None:
        """Deliver what is due now, starting the thread if it is not running."""
        self.ensure_running()
        self.wake.set()

    def _run(self) -> None:
        poll = self.app.config["OUTBOX_POLL_SECONDS"]
        while not self.stopping.is_set():
            self.wake.wait(timeout=poll)
            self.wake.clear()
            while not self.stopping.is_set() and self._one_batch():
                pass

    def _quiet_in(self) -> float:
        """Seconds until the process counts as quiet (0 or less: it is quiet now)."""
        return self.last_request_at + QUIET_SECONDS - time.monotonic()

    def _busy(self) -> bool:
        return self._quiet_in() > 0

    def _turn(self) -> bool | None:
        """Wait until the sender may go: True once the process is quiet, False when its share of a process
        busy for longer than the hold is due, None when stopping."""
        while not self.stopping.is_set():
            quiet_in = self._quiet_in()
            if quiet_in <= 0:
                return True
            turn_in = max(self.next_busy_turn, self.busy_since + BUSY_HOLD_SECONDS) - time.monotonic()
            if turn_in <= 0:
                return False
            self.stopping.wait(min(quiet_in, turn_in))
        return None

    def _one_batch(self) -> bool:
        """Deliver one batch when it is the sender's turn; True when it handled or handed back mail, so more
        may be due."""
        quiet = self._turn()
        if quiet is None:
            return False
        started = time.monotonic()
        # A full batch begun in a quiet moment hands the rest back when requests arrive, and goes on in turns.
        with self.app.app_context():
            try:
                report = deliver_due(batch_size=BATCH_SIZE if quiet else BUSY_BATCH_SIZE,
                                     stopping=lambda: self.stopping.is_set() or (quiet and self._busy()))
            except Exception:  # keep the thread alive; the rows stay due for the next pass
                self.app.logger.exception("Outbox delivery pass failed")
                return False
            finally:
                db.session.remove()
        if not quiet:
            ended = time.monotonic()
            self.next_busy_turn = ended + (ended - started) * (1 / BUSY_SHARE - 1)
        # Mail handed back when requests arrived is still due: go on in turns, not after the next poll.
        return report.handled > 0 or report.handed_back > 0

    def stop(self, timeout: float = 30) -> None:
        """End the thread once the pass in hand is done; it does not start again."""
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)


def _worker(app: Flask) -> OutboxWorker | None:
    """This process's worker for the app (made by `start_worker_on_first_request`); None when OUTBOX_WORKER is off.

    `app` may be `current_app`: the worker itself holds the real app, for its thread's app contexts."""
    return app.extensions.get("outbox_worker")


def wake_outbox_worker(app: Flask) -> None:
    """Deliver what was just stored, in the background (every commit that queued mail calls it)."""
    worker = _worker(app)
    if worker is not None:
        worker.go()


@event.listens_for(Session, "after_commit")
def _wake_after_mail_was_committed(session: Session) -> None:
    """Whatever feature committed mail while serving a request, this process's sender goes at once.

    Outside a request (a flask command) a sender already running is woken, but none is started: the command's
    process may end before a new thread's batch does, and the mail is safe in the outbox for the real sender.
    """
    if not session.info.pop(MAIL_QUEUED, False) or not has_app_context():
        return
    worker = _worker(current_app)
    if worker is not None and (has_request_context() or worker.thread is not None):
        worker.go()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_mail(session: Session) -> None:
    session.info.pop(MAIL_QUEUED, None)


def stop_outbox_worker(app: Flask) -> None:
    """For an app that goes away while its process lives on (a test's): its thread would keep polling,
    and committing, on behalf of an app nobody uses."""
    worker = _worker(app)
    if worker is not None:
        worker.stop()


def start_worker_on_first_request(app: Flask) -> None:
    """Start delivering (and retrying what an earlier run left) once the process serves traffic, and tell the
    sender when each request begins, so it gives way to them. The thread itself starts on first use."""
    if not app.config.get("OUTBOX_WORKER"):
        return
    worker = app.extensions["outbox_worker"] = OutboxWorker(app)

    @app.before_request
    def _start_outbox_worker():
        worker.request_started()
        if worker.thread is None:
            worker.go()


class DueMailSignal:
    """How `send-mail --watch` waits: LISTEN on PostgreSQL (woken at each commit that enqueued mail), else a nap."""

    def __init__(self, app: Flask):
        self.app = app
        self.connection = None

    def open(self) -> None:
        """Listen on PostgreSQL; anywhere else, or if listening fails, polling alone finds the mail."""
        url = db.engine.url
        if url.get_backend_name() != "postgresql":
            return
        try:
            import psycopg

            self.connection = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                                              autocommit=True)
            self.connection.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:
            self.app.logger.warning("Mail worker cannot LISTEN (%s): polling instead", type(exc).__name__)
            self.close()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def wait(self, seconds: float, stopping: Callable[[], bool]) -> bool:
        """Sleep up to `seconds`, in short slices so a SIGTERM is heard; True when woken by new mail."""
        deadline = time.monotonic() + seconds
        while not stopping() and (left := deadline - time.monotonic()) > 0:
            nap = min(left, 0.5)
            if self.connection is None:
                time.sleep(nap)
                continue
            try:
                if any(True for _ in self.connection.notifies(timeout=nap, stop_after=1)):
                    return True
            except Exception as exc:  # the database went away: poll, and listen again on the next wait
                self.app.logger.warning("Mail worker lost its LISTEN connection: %s", type(exc).__name__)
                self.close()
        if self.connection is None and not stopping():
            self.open()
        return False


class MailWatcher:
    """`send-mail --watch`: a long-lived sender that delivers due mail as it arrives, until told to stop."""

    def __init__(self, app: Flask, batch_size: int = 100):
        self.app = app
        self.batch_size = batch_size
        self.stopping = False
        self.signal = DueMailSignal(app)

    def stop(self, *_signal_args) -> None:
        """SIGTERM: the message in hand is finished, the rest of the batch handed back, then the loop ends."""
        self.stopping = True

    def run(self) -> None:
        with self.app.app_context():
            self.signal.open()
            self.app.logger.info("Mail worker started (%s)",
                                 "LISTEN/NOTIFY" if self.signal.connection else "polling")
            try:
                while not self.stopping:
                    full = self.one_pass()
                    if not full:
                        self.signal.wait(self.idle_seconds(), lambda: self.stopping)
            finally:
                self.signal.close()
            self.app.logger.info("Mail worker stopped")

    def one_pass(self) -> bool:
        """Deliver one batch and log one line; True when the batch was full, so more may be due at once."""
        started = time.monotonic()
        try:
            report = deliver_due(batch_size=self.batch_size, stopping=lambda: self.stopping)
        except Exception:  # the database or mail server failed us: the rows stay due for the next pass
            self.app.logger.exception("Mail pass failed")
            return False
        finally:
            db.session.remove()
        self.app.logger.info(
            "Mail pass: %d sent, %d failed, %d refused, %d withdrawn, %d busy elsewhere, %.2f s",
            len(report.sent), len(report.failed), len(report.refused), len(report.withdrawn), report.busy,
            time.monotonic() - started)
        return report.handled >= self.batch_size

    def idle_seconds(self) -> float:
        """Until the next email falls due (a reminder's time, a retry, a lapsing claim), at most one poll."""
        poll = float(self.app.config["OUTBOX_WATCH_POLL_SECONDS"])
        try:
            when = next_due_at()
        except Exception:
            self.app.logger.exception("Mail worker could not read when mail is next due")
            return poll
        finally:
            db.session.remove()
        if when is None:
            return poll
        return min(poll, max(0.2, (when - utcnow()).total_seconds() + 0.05))
