"""Flask's signed-cookie session, with its signer built once per secret instead of twice per request."""

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CookieSession(SecureCookieSessionInterface):
    """The same cookies, signatures and checks as Flask's; building the serializer was a tenth of the form page."""

    def __init__(self):
        self._signers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._signers:
            self._signers = {key: super().get_signing_serializer(app)}  # a new secret replaces the old signer
        return self._signers[key]
