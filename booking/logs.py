"""Logging set up once: one handler, on the root logger, one line per event with its request id.

LOG_FORMAT=text (default) or json. Lines carry references and ids, never what a patient wrote.
"""

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from flask import Flask, current_app, has_app_context, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import event
from sqlalchemy.orm import Session

LOG_FORMAT = "[%(asctime)s] %(levelname)s %(name)s [%(request_id)s]: %(message)s"
REQUEST_ID_HEADER = "X-Request-ID"
_OFFERED_ID = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")  # the header as WSGI hands it over
_ID_KEY = "booking.request_id"  # where the id waits in the WSGI environ
# What a proxy or load balancer may hand us as an id: short, and nothing that could forge a log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
_HANDLER_MARK = "_booking_handler"
# Lines an operation has said, waiting on the session for its transaction to commit (log_on_commit).
_ON_COMMIT = "booking_logs_on_commit"


def current_request_id() -> str:
    """The id of the request being served, or '-' outside a request (CLI, the mail worker)."""
    if has_request_context():
        return request.environ.get(_ID_KEY) or "-"
    return "-"


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request's id, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def _one_line(text: str) -> str:
    """A newline inside a message or traceback must not start a line of its own (nor forge one)."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__(LOG_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return _one_line(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _formatter(name: str) -> logging.Formatter:
    if name not in {"text", "json"}:
        raise RuntimeError("LOG_FORMAT must be 'text' or 'json'")
    return JsonFormatter() if name == "json" else TextFormatter()


def configure_logging(app: Flask) -> None:
    """The app's logger hands its lines to the root logger; only the root logger prints them.

    Flask's own handler would print a second copy of every line whenever something else (gunicorn,
    Alembic's fileConfig in `flask db upgrade`, a test runner) has given the root logger a handler.
    """
    formatter = _formatter(app.config.get("LOG_FORMAT", "text"))
    app.logger.removeHandler(default_handler)
    app.logger.propagate = True
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, _HANDLER_MARK, False)]
    if ours:
        ours[0].setFormatter(formatter)  # a second app in the same process: still one handler
    elif not root.handlers:
        handler = logging.StreamHandler()
        setattr(handler, _HANDLER_MARK, True)
        handler.setFormatter(formatter)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)


def request_id_for(offered: str) -> str:
    """The proxy's X-Request-ID when it is sane, or a new one."""
    return offered if SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


class RequestIds:
    """WSGI middleware, outermost: every request gets its id before anything runs, and every response
    carries it, the pages answered from memory too. Giving it in Flask's hooks cost each page more."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request_id = environ[_ID_KEY] = request_id_for(environ.get(_OFFERED_ID, ""))

        def with_id(status: str, headers: list[tuple[str, str]], exc_info=None):
            return start_response(status, [*headers, (REQUEST_ID_HEADER, request_id)], exc_info)

        return self.app(environ, with_id)


def log_on_commit(session: Session, message: str, *args) -> None:
    """Log `message` (an INFO line) once the caller commits the session's transaction, and never if it rolls
    back: an operation does not commit (its caller does, once), so a line written at once would tell of a
    change the database may still refuse."""
    session.info.setdefault(_ON_COMMIT, []).append((message, args))


@event.listens_for(Session, "after_commit")
def _log_what_was_committed(session: Session) -> None:
    lines = session.info.pop(_ON_COMMIT, ())
    logger = current_app.logger if has_app_context() else logging.getLogger("booking")
    for message, args in lines:
        logger.info(message, *args)


@event.listens_for(Session, "after_rollback")
def _forget_what_was_rolled_back(session: Session) -> None:
    session.info.pop(_ON_COMMIT, None)
