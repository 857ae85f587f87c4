"""What the extensions do for us, through their documented use only: Flask-WTF refuses a post without its
token, Flask-Limiter counts and tells, Flask's session cookie is signed and survives a rotated secret."""

import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from booking.extensions import db
from booking.models import ConsultationRequest
from tests.conftest import open_form, valid_answers


def test_a_staff_post_without_its_csrf_token_is_refused(client):
    assert client.post("/staff/login", data={"email": "desk@clinic.test", "password": "x"}).status_code == 400
    # with the page's token the check passes and the (wrong) password is what gets told
    assert client.post_form("/staff/login", {"email": "nobody@clinic.test", "password": "x"}).status_code == 200


def test_the_consultation_forms_token_is_accepted_and_a_forged_one_keeps_the_answers(app, client):
    assert client.post("/consultation", data={**open_form(client), **valid_answers()}).status_code == 303
    fields = open_form(client)
    token = fields["csrf_token"]  # payload.timestamp.signature: a changed payload no longer matches
    forged = {**fields, "csrf_token": ("J" if token[0] != "J" else "K") + token[1:]}
    page = client.post("/consultation", data={**forged, **valid_answers(name="Ana Ruiz")})
    assert page.status_code == 200 and "Your answers are still here" in page.get_data(as_text=True)
    with app.app_context():  # the forged one stored nothing
        assert db.session.execute(db.select(db.func.count()).select_from(ConsultationRequest)).scalar_one() == 1


def test_a_limited_view_sends_rate_limit_headers_and_a_page_without_a_limit_does_not(client):
    response = client.post("/consultation", data={**open_form(client), **valid_answers()})
    assert response.status_code == 303
    assert response.headers["X-RateLimit-Limit"] and response.headers["X-RateLimit-Remaining"]
    page = client.get("/consultation")
    assert page.status_code == 200 and "X-RateLimit-Limit" not in page.headers


def test_the_submission_limit_counts_across_requests_and_answers_429(make_app):
    client = make_app(SUBMIT_RATE_LIMIT="2 per minute").test_client()
    seen = []
    for _ in range(3):
        response = client.post("/consultation", data={**open_form(client), **valid_answers()})
        seen.append((response.status_code, response.headers.get("X-RateLimit-Remaining")))
    assert seen == [(303, "1"), (303, "0"), (429, "0")]
    assert "Retry-After" in response.headers


def _signer(app):
    return app.session_interface.get_signing_serializer(app)


def test_a_session_cookie_signed_with_another_secret_is_refused(app, make_app):
    stranger = make_app(SECRET_KEY="another-secret-" + "y" * 24)
    with pytest.raises(BadSignature):
        _signer(app).loads(_signer(stranger).dumps({"staff_session": "x"}))


def test_a_rotated_secret_still_reads_old_cookies_and_signs_with_the_new(make_app):
    old_secret, new_secret = "old-secret-" + "o" * 24, "new-secret-" + "n" * 24
    old = make_app(SECRET_KEY=old_secret)
    old_cookie = _signer(old).dumps({"csrf_token": "c" * 40})
    rotated = make_app(SECRET_KEY=new_secret, SECRET_KEY_FALLBACKS=[old_secret])
    assert isinstance(rotated.session_interface, SecureCookieSessionInterface)
    assert _signer(rotated).loads(old_cookie) == {"csrf_token": "c" * 40}
    new_cookie = _signer(rotated).dumps({"csrf_token": "c" * 40})
    with pytest.raises(BadSignature):
        _signer(old).loads(new_cookie)
