"""Flask's signed-cookie session, with its serializer built once per secret and keeping its signer."""

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from booking.signing import SignerKeepingSerializer, keeping_signers


class CookieSession(SecureCookieSessionInterface):
    """The same cookies, signatures and checks as Flask's; building the serializer was a tenth of the form page,
    and building its signer and deriving the key again for every cookie a few percent more."""

    def __init__(self):
        self._signers: dict[tuple, SignerKeepingSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> SignerKeepingSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._signers:
            flasks = super().get_signing_serializer(app)
            # a new secret replaces the old signer
            self._signers = {key: None if flasks is None else keeping_signers(flasks)}
        return self._signers[key]
