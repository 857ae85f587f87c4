"""Gunicorn's access log with every client-sent value escaped: a request for /x%0a10.9.9.9 cannot forge a
second line, nor a terminal escape reach whoever reads the log. gunicorn.conf.py names this logger_class."""

import re
import unicodedata

from gunicorn.glogging import Logger

# What may need escaping: a backslash, an ASCII control, or any character outside printable ASCII (whose
# Unicode category decides). gunicorn builds some fifty atoms for every request, almost all printable ASCII:
# one search in C finds nothing in those, where a category lookup per character cost a millisecond a request.
_MAYBE_UNSAFE = re.compile(r"[\\\x00-\x1f\x7f-\U0010ffff]")


def _escape_one(match: re.Match) -> str:
    ch = match.group()
    if ch == "\\":
        return "\\\\"
    if unicodedata.category(ch)[0] in "CZ" and ch != " ":
        return f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}"
    return ch


def escaped(value: str) -> str:
    """A backslash doubled, and every control, format or separator character written as \\xNN or \\uNNNN
    (gunicorn's atoms wrapper writes a double quote as \\" itself)."""
    return _MAYBE_UNSAFE.sub(_escape_one, value)


class EscapingLogger(Logger):
    """Gunicorn's own Logger, its documented extension point (`logger_class`), with the atoms escaped."""

    def atoms(self, resp, req, environ, request_time):
        return {key: escaped(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}
