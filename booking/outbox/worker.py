"""A delivery thread in each web process, so the patient's response never waits on SMTP."""

import threading

from flask import Flask

from booking.extensions import db
from booking.outbox.delivery import deliver_due

_creating = threading.Lock()


class OutboxWorker:
    """Wakes when a request is stored, and every OUTBOX_POLL_SECONDS to retry failures."""

    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def ensure_running(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        poll = self.app.config["OUTBOX_POLL_SECONDS"]
        while True:
            self.wake.wait(timeout=poll)
            self.wake.clear()
            with self.app.app_context():
                try:
                    deliver_due()
                except Exception:  # keep the thread alive; the rows stay due for the next pass
                    self.app.logger.exception("Outbox delivery pass failed")
                finally:
                    db.session.remove()


def _worker(app: Flask) -> OutboxWorker | None:
    """This process's worker for the app, made on first use; None when OUTBOX_WORKER is off."""
    if not app.config.get("OUTBOX_WORKER"):
        return None
    with _creating:
        if "outbox_worker" not in app.extensions:
            app.extensions["outbox_worker"] = OutboxWorker(app)
        return app.extensions["outbox_worker"]


def wake_outbox_worker(app: Flask) -> None:
    """Called after a commit: deliver what was just stored, in the background."""
    worker = _worker(app)
    if worker is not None:
        worker.ensure_running()
        worker.wake.set()


def start_worker_on_first_request(app: Flask) -> None:
    """Start delivering (and retrying what an earlier run left) once the process serves traffic."""

    @app.before_request
    def _start_outbox_worker():
        worker = _worker(app)
        if worker is not None and worker.thread is None:
            worker.ensure_running()
            worker.wake.set()
