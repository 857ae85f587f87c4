"""The app's one page cache: pages the same for every visitor, answered from memory before Flask is entered.

The privacy notice and the language-help page carry no form, token or session, and depend only on the
settings and the language, none of which change while a process runs (a deployment starts new processes).
The info page also shows the team, which administrators change on /staff/availability, so it is drawn once
per language and team but not kept here. Flask renders each once; this middleware keeps the whole response (status, headers, body) and
answers later GETs and HEADs for the same path with it. The middleware around it adds the security headers
and each answer's own request id (booking/security.py, booking/logs.py). Going through Flask, its hooks and
the session for a page that cannot differ cost more than half of the page's time (docs/performance.md).

Only a response its view marked with `same_for_everyone()` is kept, and only a 200 that set no cookie. A
page with a token is never marked, and tests/test_page_cache.py renders every marked page with the session,
the user, the CSRF token and the request made unreadable to its template. (Such a page still says `Vary: Cookie`, because Flask-Login looks for a
staff session while any template renders; nothing on it depends on one.)
"""

from collections.abc import Callable, Iterable

from flask import request

MARK = "booking.same_for_everyone"


def same_for_everyone() -> None:
    """Called by a view whose response may be kept and given to every visitor of its path."""
    request.environ[MARK] = True


class PageCache:
    """WSGI middleware: answer a kept page from memory, else let the app answer and keep what was marked."""

    def __init__(self, app: Callable):
        self.app = app
        self.pages: dict[tuple[str, str], tuple[str, list[tuple[str, str]], bytes]] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        key = (environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""))
        if method in ("GET", "HEAD") and key in self.pages:
            status, headers, body = self.pages[key]
            start_response(status, list(headers))  # a copy: whoever is handed the list may change it
            return [body] if method == "GET" else []
        answered: list = []

        def keep_status(status, headers, exc_info=None):
            answered[:] = [status, headers]
            return start_response(status, headers, exc_info)

        response = self.app(environ, keep_status)
        if method == "GET" and environ.get(MARK) and answered and _may_keep(*answered):
            body = _read(response)
            self.pages[key] = (answered[0], list(answered[1]), body)
            return [body]
        return response


def _may_keep(status: str, headers: list[tuple[str, str]]) -> bool:
    """A 200 that set no cookie: a cookie belongs to one visitor."""
    return status.startswith("200 ") and all(name.lower() != "set-cookie" for name, _ in headers)


def _read(response: Iterable[bytes]) -> bytes:
    try:
        return b"".join(response)
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
