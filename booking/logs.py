"""Logging set up once: one handler, on the root logger, so every event is printed exactly once."""

import logging

from flask import Flask
from flask.logging import default_handler

LOG_FORMAT = "[%(asctime)s] %(levelname)s %(name)s: %(message)s"


def configure_logging(app: Flask) -> None:
    """The app's logger hands its lines to the root logger; only the root logger prints them.

    Flask's own handler would print a second copy of every line whenever something else (gunicorn,
    Alembic's fileConfig in `flask db upgrade`, a test runner) has given the root logger a handler.
    """
    app.logger.removeHandler(default_handler)
    app.logger.propagate = True
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
