"""The app's one page cache: pages the same for every visitor, answered from memory before Flask is entered.

The privacy notice and the language-help page carry no form, token or session, and depend only on the
settings and the language, none of which change while a process runs (a deployment starts new processes).
The information page also shows the team, which administrators change on /staff/availability on any
server: it is kept with the team it was drawn with, and each later visit first reads the team again (one
small query, the `while_same` check) and is answered from memory only while the team is the same. A change
made on any server shows at the next view, on every server.

Flask renders each page once; this middleware keeps the whole response (status, headers, body) and answers
later GETs and HEADs for the same path with it. The middleware around it adds the security headers and each
answer's own request id (booking/security.py, booking/logs.py). Going through Flask, its hooks, the session
and the template for a page that cannot differ cost several times the page's own time (docs/performance.md).

Only a response its view marked with `same_for_everyone()` is kept, and only a 200 that set no cookie. A
page with a token is never marked, and tests/test_page_cache.py renders every marked page with the session,
the user, the CSRF token and the request made unreadable to its template. (Such a page still says
`Vary: Cookie`, because Flask-Login looks for a staff session while any template renders; nothing on it
depends on one.)
"""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from flask import Flask, request

MARK = "booking.same_for_everyone"


def same_for_everyone(while_same: Callable[[], Hashable] | None = None, drawn_with: Hashable = None) -> None:
    """Called by a view whose response may be kept and given to every visitor of its path.

    A page drawn from the database names the read it was drawn from: `while_same()` (called in an app
    context, with no request) must keep returning `drawn_with` for the kept page to be answered.
    """
    request.environ[MARK] = (while_same, drawn_with)


@dataclass(frozen=True)
class KeptPage:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    while_same: Callable[[], Hashable] | None
    drawn_with: Hashable


class PageCache:
    """WSGI middleware: answer a kept page from memory, else let the app answer and keep what was marked."""

    def __init__(self, wsgi_app: Callable, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        self.pages: dict[tuple[str, str], KeptPage] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        key = (environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""))
        kept = self.pages.get(key) if method in ("GET", "HEAD") else None
        if kept is not None and self._still_the_same(kept):
            start_response(kept.status, list(kept.headers))  # a copy: whoever is handed the list may change it
            return [kept.body] if method == "GET" else []
        answered: list = []

        def keep_status(status, headers, exc_info=None):
            answered[:] = [status, headers]
            return start_response(status, headers, exc_info)

        response = self.wsgi_app(environ, keep_status)
        marked = environ.get(MARK)
        if method == "GET" and marked and answered and _may_keep(*answered):
            body = _read(response)
            self.pages[key] = KeptPage(answered[0], list(answered[1]), body, *marked)
            return [body]
        return response

    def _still_the_same(self, kept: KeptPage) -> bool:
        if kept.while_same is None:
            return True
        with self.app.app_context():
            return kept.while_same() == kept.drawn_with


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
