"""Gunicorn's access log with every client-sent value escaped: a request for /x%0a10.9.9.9 cannot forge a
second line, nor a terminal escape reach whoever reads the log. gunicorn.conf.py names this logger_class."""

import unicodedata

from gunicorn.glogging import Logger


def escaped(value: str) -> str:
    """A backslash doubled, and every control, format or separator character written as \\xNN or \\uNNNN
    (gunicorn's atoms wrapper writes a double quote as \\" itself)."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch)[0] in "CZ" and ch != " ":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


class EscapingLogger(Logger):
    """Gunicorn's own Logger, its documented extension point (`logger_class`), with the atoms escaped."""

    def atoms(self, resp, req, environ, request_time):
        return {key: escaped(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}
