"""Pages that are the same for everyone are rendered once per process; pages with a token never are, and the
information page is answered from memory only while the team on it is the same."""

import re
import sqlite3

from booking.extensions import db
from booking.models import Practitioner
from tests.factories import make_practitioner


def test_the_info_page_is_kept_while_its_team_is_the_same_and_redrawn_at_once_when_it_changes(make_app, tmp_path):
    """Administrators change the team on /staff/availability on any server: this server must show it at the
    next view. The change below is made by another connection to the database, as another server's would be."""
    app = make_app()
    with app.app_context():
        make_practitioner("Avery Lee", public_title="PT, DPT")
    entered = []
    app.before_request(lambda: entered.append(1))
    client = app.test_client()
    first = client.get("/").get_data(as_text=True)
    assert "PT, DPT" in first and entered == [1]
    assert client.get("/").get_data(as_text=True) == first and entered == [1]  # kept: Flask not entered
    with sqlite3.connect(tmp_path / "booking.sqlite3") as other_server:
        other_server.execute("UPDATE practitioner SET public_title = 'PT, DPT, certified in dry needling'")
    other_server.close()
    assert "certified in dry needling" in client.get("/").get_data(as_text=True)
    assert entered == [1, 1]
    with app.app_context():  # a practitioner who leaves is gone from the page at the next view too
        db.session.execute(db.update(Practitioner).values(active=False))
        db.session.commit()
    assert "Avery Lee" not in client.get("/").get_data(as_text=True)
    assert 'lang="es"' in client.get("/es/").get_data(as_text=True)


def test_a_page_with_a_token_is_never_served_from_memory(client):
    token = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    first = token.search(client.get("/consultation").get_data(as_text=True)).group(1)
    other = client.application.test_client()
    second = token.search(other.get("/consultation").get_data(as_text=True)).group(1)
    assert first != second


def test_a_kept_page_is_answered_before_flask_with_the_same_bytes_and_headers(app):
    entered = []
    app.before_request(lambda: entered.append(1))
    client = app.test_client()
    first = client.get("/privacy")
    again = [client.get("/privacy") for _ in range(3)]
    assert len(entered) == 1  # Flask served the first visit only
    without_id = lambda response: [h for h in response.headers if h[0] != "X-Request-ID"]  # noqa: E731
    for response in again:
        assert response.status_code == 200
        assert response.data == first.data
        assert without_id(response) == without_id(first)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    ids = {response.headers["X-Request-ID"] for response in [first, *again]}
    assert len(ids) == 4  # every answer its own request id


def test_a_kept_page_keeps_a_sane_request_id_from_the_proxy_and_replaces_a_forged_one(client):
    client.get("/privacy")
    assert client.get("/privacy", headers={"X-Request-ID": "edge-42"}).headers["X-Request-ID"] == "edge-42"
    forged = client.get("/privacy", headers={"X-Request-ID": "x <script>"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_head_of_a_kept_page_has_its_headers_and_no_body(client):
    first = client.get("/es/privacy")
    head = client.head("/es/privacy")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == first.headers["Content-Length"]


def test_only_get_and_head_are_answered_from_memory(client):
    client.get("/privacy")
    assert client.post("/privacy").status_code == 405


def test_a_marked_response_that_sets_a_cookie_or_fails_is_not_kept():
    from booking.public.page_cache import MARK, PageCache

    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        environ[MARK] = (None, None)  # as same_for_everyone() marks a page that reads no database
        headers = [("Content-Type", "text/plain")]
        if environ["PATH_INFO"] == "/cookie":
            headers.append(("Set-Cookie", "session=one-visitor"))
        start_response("404 NOT FOUND" if environ["PATH_INFO"] == "/missing" else "200 OK", headers)
        return [b"page"]

    cache = PageCache(app, None)
    for path in ("/cookie", "/missing", "/kept"):
        for _ in range(2):
            assert b"".join(cache({"REQUEST_METHOD": "GET", "PATH_INFO": path}, lambda *a: None)) == b"page"
    assert calls == ["/cookie", "/cookie", "/missing", "/missing", "/kept"]


class Unreadable:
    """Stands in a template for something per-visitor; notes every attempt to read it."""

    def __init__(self, name: str, reads: list):
        self._name, self._reads = name, reads

    def _read(self, *_args, **_kwargs):
        self._reads.append(self._name)
        return self

    def _text(self):
        self._reads.append(self._name)
        return ""

    __getattr__ = __call__ = __getitem__ = _read
    __str__ = __html__ = _text

    def __bool__(self):
        self._reads.append(self._name)
        return False

    def __iter__(self):
        self._reads.append(self._name)
        return iter(())


PER_VISITOR = ("session", "current_user", "csrf_token", "request", "g", "get_flashed_messages")


def forbid_per_visitor_reads(app, reads: list) -> None:
    """Run last, for the app and every blueprint: wins over Flask's own processor (request, g; registered
    for each blueprint too), Flask-Login's (current_user) and Flask-WTF's (csrf_token); the session too."""
    unreadable = lambda: {name: Unreadable(name, reads) for name in PER_VISITOR}  # noqa: E731
    for processors in app.template_context_processors.values():
        processors.append(unreadable)


def _cached_paths(app) -> list[str]:
    """Every page without URL arguments that its view marks for the cache."""
    from flask import request

    from booking.public.page_cache import MARK

    marked = []

    @app.after_request
    def note_marked(response):
        if request.environ.get(MARK):
            marked.append(request.path)
        return response

    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            client.get(rule.rule)
    return marked


def test_no_cached_page_reads_the_session_user_csrf_token_or_request(make_app):
    paths = _cached_paths(make_app())
    assert {"/", "/es/", "/privacy", "/es/privacy", "/language-help"} <= set(paths)
    app = make_app()  # its cache is empty: every page below is rendered under the guard
    reads: list[str] = []
    forbid_per_visitor_reads(app, reads)
    client = app.test_client()
    for path in paths:
        assert client.get(path).status_code == 200
        assert reads == [], f"{path} is cached but its template reads {sorted(set(reads))}"


def test_the_guard_sees_a_template_that_reads_per_visitor_values(app):
    """The guard above can fail: a template reading the user or the token is caught."""
    from flask import render_template_string

    reads: list[str] = []
    forbid_per_visitor_reads(app, reads)
    with app.test_request_context("/"):
        render_template_string("{% if current_user.is_authenticated %}hi{% endif %}{{ csrf_token() }}"
                               "{{ request.args.get('q') }}{{ session['x'] }}")
    assert set(reads) == {"current_user", "csrf_token", "request", "session"}
