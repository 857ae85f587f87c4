"""OWASP's device cookies: a browser where this account signed in before is counted apart from strangers.

After both sign-in steps the browser gets a signed cookie naming the account and a random nonce. A sign-in
attempt that carries a valid one for the account it names is counted per device (the tight limit) and is
not refused by the per-account ceiling, which counts only untrusted clients: strangers who spray guesses
from many addresses lock out other strangers, never the owner's own browsers.
See https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies
"""

import hashlib
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "staff-device-cookie"


def cookie_name() -> str:
    """__Host-: in production the browser keeps it only if Secure, for this host alone, on path /."""
    return "__Host-staff-device" if current_app.config.get("SESSION_COOKIE_SECURE") else "staff_device"


def _serializer() -> URLSafeTimedSerializer:
    """Signs with SECRET_KEY; still reads cookies signed under SECRET_KEY_FALLBACKS (keys oldest to newest)."""
    config = current_app.config
    return URLSafeTimedSerializer([*reversed(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"]],
                                  salt=SALT)


def _max_age() -> int:
    return current_app.config["STAFF_DEVICE_DAYS"] * 24 * 60 * 60


def remember_device(response, email: str):
    """Both steps done on this browser: from now on it is one of this account's trusted devices."""
    token = _serializer().dumps({"account": email, "nonce": secrets.token_urlsafe(16)})
    response.set_cookie(cookie_name(), token, max_age=_max_age(), path="/", httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), samesite="Strict")
    return response


def device_of(email: str) -> str | None:
    """The device this request's cookie proves for `email` (a hash of its nonce), or None: an untrusted client."""
    token = request.cookies.get(cookie_name())
    if not token or len(token) > 500:
        return None
    try:
        claim = _serializer().loads(token, max_age=_max_age())
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(claim, dict) or claim.get("account") != email or not isinstance(claim.get("nonce"), str):
        return None
    return hashlib.sha256(claim["nonce"].encode()).hexdigest()
