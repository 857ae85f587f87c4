"""Two-step sign-in: an authenticator app's 6-digit code (TOTP, RFC 6238) after the password.

Keys are stored encrypted with a key derived from SECRET_KEY (so a copy of the database alone does not
yield them). A rotation keeps them: a key written under an old SECRET_KEY still listed in
SECRET_KEY_FALLBACKS is read, and written again under the current one the next time it is used. A code is accepted once: the
step it belongs to is recorded with an atomic UPDATE, so a replay, even a simultaneous one, is refused.
"""

import base64
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from markupsafe import Markup
from sqlalchemy import or_

from booking.extensions import db
from booking.logs import log_on_commit
from booking.models import RecoveryCode, StaffEvent, StaffUser, utcnow
from booking.staff.operations.sessions import end_all_sessions
from booking.states import StaffAction

STEP_SECONDS = 30
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"juniper staff two-step keys").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _current() -> Fernet:
    return _fernet(current_app.config["SECRET_KEY"])


def _current_and_fallbacks() -> MultiFernet:
    """The current key first (it encrypts), then every SECRET_KEY_FALLBACKS entry (they only decrypt)."""
    olds = current_app.config.get("SECRET_KEY_FALLBACKS") or ()
    return MultiFernet([_current()] + [_fernet(old) for old in olds])


def encrypt_secret(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def decrypt_with_fallbacks(token: str) -> str | None:
    """Something encrypt_secret wrote, under the current SECRET_KEY or a fallback; None if neither opens it."""
    try:
        return _current_and_fallbacks().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def secret_of(staff: StaffUser) -> str | None:
    """The authenticator key; one written under a fallback SECRET_KEY is re-encrypted under the current one
    (saved with the caller's commit, which every sign-in step makes)."""
    if not staff.totp_secret:
        return None
    token = staff.totp_secret.encode()
    try:
        return _current().decrypt(token).decode()
    except InvalidToken:
        pass
    try:
        secret = _current_and_fallbacks().decrypt(token).decode()
    except InvalidToken:  # written under a key no longer listed: an administrator must reset the set-up
        current_app.logger.warning("Two-step key of staff %s cannot be read with SECRET_KEY or its fallbacks",
                                   staff.id)
        return None
    staff.totp_secret = encrypt_secret(secret)
    log_on_commit(db.session, "Two-step key of staff %s re-encrypted under the current SECRET_KEY", staff.id)
    return secret


def pending_secret(staff: StaffUser) -> str:
    """The key being set up; the same one until confirmed, so reloading the page keeps the scanned QR valid
    (a new key is kept by the caller's commit, before the page shows it)."""
    secret = None if staff.has_two_step else secret_of(staff)
    if secret is None:
        secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
        staff.totp_secret = encrypt_secret(secret)
        staff.totp_confirmed_at = None
        staff.totp_last_step = None
    return secret


def key_in_groups(secret: str) -> str:
    """ABCD EFGH ...: easier to type from the screen into an app."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_svg(staff: StaffUser, secret: str) -> Markup:
    """The otpauth:// link as an inline SVG QR code, drawn here: no image is fetched from anyone."""
    issuer = current_app.config["CLINIC_NAME"]
    uri = pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=issuer)
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code of your sign-in key" ', 1))


def _current_step() -> int:
    return int(time.time()) // STEP_SECONDS


def accept_code(staff: StaffUser, code: str) -> bool:
    """A code from this step or the one either side, never one already used (nor one older than it).

    The UPDATE that records the step is the check: a second request with the same code waits for this one's
    transaction (the caller's commit) and then matches nothing."""
    secret = secret_of(staff)
    code = re.sub(r"\s", "", code)
    if secret is None or not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(secret)
    now = _current_step()
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            claimed = db.session.execute(
                db.update(StaffUser)
                .where(StaffUser.id == staff.id,
                       or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
                .values(totp_last_step=step)
            ).rowcount
            db.session.refresh(staff)
            return claimed == 1
    return False


def confirm_set_up(staff: StaffUser, code: str) -> list[str] | None:
    """The first code proves the app holds the key: two-step is on; returns the new recovery codes."""
    if staff.has_two_step or not accept_code(staff, code):
        return None
    staff.totp_confirmed_at = utcnow()
    codes = _new_recovery_codes(staff)
    log_on_commit(db.session, "Staff %s set up two-step sign-in", staff.id)
    return codes


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(re.sub(r"[\s-]", "", code).lower().encode()).hexdigest()


def _new_recovery_codes(staff: StaffUser) -> list[str]:
    """Ten codes of 80 random bits each, shown once; only their hashes are stored."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
        db.session.add(RecoveryCode(staff_id=staff.id, code_hash=_hash_recovery(raw)))
    return codes


def use_recovery_code(staff: StaffUser, code: str) -> bool:
    """Each recovery code works once; the UPDATE that marks it used is the check."""
    if not re.fullmatch(r"[a-z0-9]{16}", re.sub(r"[\s-]", "", code).lower()):
        return False
    used = db.session.execute(
        db.update(RecoveryCode)
        .where(RecoveryCode.staff_id == staff.id, RecoveryCode.code_hash == _hash_recovery(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if used:
        log_on_commit(db.session, "Staff %s signed in with a recovery code", staff.id)
    return used == 1


def recovery_codes_left(staff: StaffUser) -> int:
    return db.session.execute(
        db.select(db.func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def reset_two_step(staff: StaffUser, by: StaffUser | None) -> None:
    """Lost phone: the key, recovery codes and sessions go, and the person sets up again at the next sign-in;
    the caller commits."""
    staff.totp_secret = None
    staff.totp_confirmed_at = None
    staff.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    db.session.add(StaffEvent(staff_id=staff.id, by_id=by.id if by else None, action=StaffAction.TWO_STEP_RESET))
    end_all_sessions(staff.id)
    log_on_commit(db.session, "Two-step sign-in of staff %s reset by %s", staff.id,
                  f"staff {by.id}" if by else "the operator")
