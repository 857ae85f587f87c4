"""Signed cookies and CSRF tokens, byte for byte as Flask and Flask-WTF make them, for one HMAC each.

itsdangerous builds a new signer for every `dumps` and derives its key from the secret again (one more HMAC)
for every signature; Flask-WTF also builds a new serializer for every CSRF token. A first visit to the form
page makes two of each: the session cookie that carries the CSRF secret, and the CSRF token itself. The
serializer here keeps its signers, and each signer keeps the keys it derived, so only the signature itself
is computed per call. Keys, salts, derivation, digest, timestamps and payloads are itsdangerous' own: Flask
reads these cookies, and Flask-WTF's check reads these tokens, with no change (tests/test_signing.py).
"""

import hashlib
import os

from flask import current_app, g, session
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

# Flask-WTF's salt for CSRF tokens (flask_wtf.csrf.generate_csrf and validate_csrf).
CSRF_SALT = "wtf-csrf-token"


class KeyKeepingSigner(TimestampSigner):
    """itsdangerous' timestamp signer, deriving each secret's key once instead of once per signature."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        derived = self.__dict__.setdefault("_derived_keys", {})
        key = derived.get(secret)
        if key is None:
            key = derived[secret] = super().derive_key(secret)
        return key


class SignerKeepingSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer that makes each salt's signer once (signers hold no per-call state)."""

    default_signer = KeyKeepingSigner

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._signers: dict = {}

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer


def keeping_signers(serializer: URLSafeTimedSerializer) -> SignerKeepingSerializer:
    """The same serializer (secrets, salt, payload format, signer settings) keeping its signers."""
    return SignerKeepingSerializer(serializer.secret_keys, salt=serializer.salt, serializer=serializer.serializer,
                                   serializer_kwargs=serializer.serializer_kwargs,
                                   signer_kwargs=serializer.signer_kwargs)


_csrf_serializers: dict[bytes | str, SignerKeepingSerializer] = {}


def csrf_token() -> str:
    """Flask-WTF's generate_csrf(), with the serializer kept per secret: the same raw token in the session,
    the same signed token, kept in `g` where generate_csrf finds it, and checked by Flask-WTF as before."""
    config = current_app.config
    field_name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field_name in g:
        return g.get(field_name)
    secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    if secret is None:
        raise RuntimeError("A secret key is required to use CSRF.")
    serializer = _csrf_serializers.get(secret)
    if serializer is None:
        _csrf_serializers.clear()  # a new secret replaces the old one
        serializer = _csrf_serializers[secret] = SignerKeepingSerializer(secret, salt=CSRF_SALT)
    if field_name not in session:
        session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
    try:
        token = serializer.dumps(session[field_name])
    except TypeError:  # something not JSON was kept under the name: start again, as Flask-WTF does
        session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        token = serializer.dumps(session[field_name])
    setattr(g, field_name, token)
    return token
