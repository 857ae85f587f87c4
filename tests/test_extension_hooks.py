"""booking/extension_hooks.py: Flask-WTF's and Flask-Limiter's per-request hooks still act wherever they can,
and are skipped where they could only look around."""

from booking.extensions import csrf
from tests.conftest import open_form, valid_answers


def _count_csrf_checks(monkeypatch) -> list:
    seen = []
    protect = csrf.protect

    def counting(*args, **kwargs):
        seen.append(1)
        return protect(*args, **kwargs)

    monkeypatch.setattr(csrf, "protect", counting)
    return seen


def test_the_csrf_check_runs_on_every_post_and_refuses_one_without_a_token(client, monkeypatch):
    checks = _count_csrf_checks(monkeypatch)
    response = client.post("/staff/login", data={"email": "desk@clinic.test", "password": "x"})
    assert response.status_code == 400
    assert checks == [1]
    assert client.post_form("/staff/login", {"email": "nobody@clinic.test", "password": "x"}).status_code == 200
    assert checks == [1, 1]  # with the page's token the check runs and lets the (wrong) password be told


def test_reading_a_page_never_runs_the_csrf_check(client, monkeypatch):
    checks = _count_csrf_checks(monkeypatch)
    assert client.get("/staff/login").status_code == 200
    assert client.head("/consultation").status_code == 200
    assert client.options("/consultation").status_code == 200
    assert checks == []


def test_a_limited_view_still_gets_flask_limiters_after_request_work(client):
    """The guard reads Flask-Limiter's own state: were it renamed, these headers would vanish."""
    response = client.post("/consultation", data={**open_form(client), **valid_answers()})
    assert response.status_code == 303
    assert response.headers["X-RateLimit-Limit"] and response.headers["X-RateLimit-Remaining"]
    page = client.get("/consultation")
    assert page.status_code == 200 and "X-RateLimit-Limit" not in page.headers  # no limit on reading


def test_the_limit_still_counts_across_requests(make_app):
    client = make_app(SUBMIT_RATE_LIMIT="2 per minute").test_client()
    remaining = []
    for _ in range(3):
        response = client.post("/consultation", data={**open_form(client), **valid_answers()})
        remaining.append((response.status_code, response.headers.get("X-RateLimit-Remaining")))
    assert remaining == [(303, "1"), (303, "0"), (429, "0")]
