"""booking/signing.py: the session cookie and the form page's CSRF token, byte for byte as Flask and Flask-WTF
make them, read back by their own code."""

import pytest
from flask import g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import BadSignature, TimestampSigner
from wtforms import ValidationError

from booking.extensions import db
from booking.models import ConsultationRequest
from booking.signing import csrf_token
from tests.client import hidden_fields
from tests.conftest import valid_answers


@pytest.fixture
def frozen_timestamp(monkeypatch):
    """Signatures carry the second they were made; fix it so two signers' outputs can be compared."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_900_000_000)


def _flasks(app):
    return SecureCookieSessionInterface().get_signing_serializer(app)


def _ours(app):
    return app.session_interface.get_signing_serializer(app)


def test_the_session_cookie_is_flasks_byte_for_byte(app, frozen_timestamp):
    contents = {"csrf_token": "a" * 40, "staff_session": "b" * 43}
    first = _ours(app).dumps(contents)
    assert first == _flasks(app).dumps(contents)
    assert _ours(app).dumps(contents) == first  # the kept signer and key give the same again
    assert _flasks(app).loads(first) == contents and _ours(app).loads(_flasks(app).dumps(contents)) == contents


def test_a_cookie_signed_with_another_secret_is_refused(app, make_app):
    stranger = make_app(SECRET_KEY="another-secret-" + "y" * 24)
    with pytest.raises(BadSignature):
        _ours(app).loads(_ours(stranger).dumps({"staff_session": "x"}))


def test_a_rotated_secret_still_reads_old_cookies_and_signs_with_the_new(make_app, frozen_timestamp):
    old_secret, new_secret = "old-secret-" + "o" * 24, "new-secret-" + "n" * 24
    old = make_app(SECRET_KEY=old_secret)
    old_cookie = _ours(old).dumps({"csrf_token": "c" * 40})
    rotated = make_app(SECRET_KEY=new_secret, SECRET_KEY_FALLBACKS=[old_secret])
    assert _ours(rotated).loads(old_cookie) == {"csrf_token": "c" * 40}
    new_cookie = _ours(rotated).dumps({"csrf_token": "c" * 40})
    assert new_cookie == _flasks(rotated).dumps({"csrf_token": "c" * 40}) != old_cookie
    with pytest.raises(BadSignature):
        _ours(old).loads(new_cookie)


def test_the_csrf_token_is_flask_wtfs_and_passes_its_check(app, frozen_timestamp):
    with app.test_request_context("/consultation"):
        ours = csrf_token()
        raw = session["csrf_token"]
        assert len(raw) == 40 and g.csrf_token == ours
        assert generate_csrf() == ours  # Flask-WTF finds the same token for the rest of the request
        validate_csrf(ours)
    with app.test_request_context("/consultation"):
        session["csrf_token"] = raw
        assert generate_csrf() == ours  # what Flask-WTF makes from the same secret and the same second
    with app.test_request_context("/consultation"):
        session["csrf_token"] = raw
        assert csrf_token() == ours  # and again from the kept serializer


def test_a_csrf_token_made_with_another_secret_fails_the_check(app, make_app):
    stranger = make_app(SECRET_KEY="another-secret-" + "y" * 24)
    with stranger.test_request_context("/consultation"):
        token = csrf_token()
        raw = session["csrf_token"]
    with app.test_request_context("/consultation"):
        session["csrf_token"] = raw
        with pytest.raises(ValidationError, match="invalid"):
            validate_csrf(token)
        assert csrf_token() != token


def test_the_form_pages_token_is_accepted_and_a_forged_one_is_not(app, client):
    fields = hidden_fields(client.get("/consultation").get_data(as_text=True), "/consultation")
    assert client.post("/consultation", data={**fields, **valid_answers()}).status_code == 303
    fields = hidden_fields(client.get("/consultation").get_data(as_text=True), "/consultation")
    token = fields["csrf_token"]  # payload.timestamp.signature: a changed payload no longer matches
    forged = {**fields, "csrf_token": ("J" if token[0] != "J" else "K") + token[1:]}
    page = client.post("/consultation", data={**forged, **valid_answers(name="Ana Ruiz")})
    assert page.status_code == 200 and "Your answers are still here" in page.get_data(as_text=True)
    with app.app_context():  # the forged one stored nothing
        assert db.session.execute(db.select(db.func.count()).select_from(ConsultationRequest)).scalar_one() == 1
