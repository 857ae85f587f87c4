"""Staff accounts, their sign-in sessions, two-step recovery codes, failed sign-ins, and the team's history."""

from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from booking.extensions import db
from booking.models.base import EMAIL_MAX, NEVER_REUSE_IDS, state, utcnow
from booking.states import StaffAction

# scrypt with N=2^17, r=8, p=1 (128 MiB, about a quarter second): OWASP's 2024 minimum is N=2^17.
# Production's PASSWORD_HASH_METHOD (config.py); the tests' config hashes cheaply.
PASSWORD_METHOD = "scrypt:131072:8:1"


def password_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD") or PASSWORD_METHOD
ADDRESS_MAX = 45  # the longest IPv6 text form
USER_AGENT_MAX = 200


class StaffUser(UserMixin, db.Model):
    """A member of the clinic's staff who works the inbox; administrators also manage the team."""

    __tablename__ = "staff_user"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The authenticator app's key, encrypted with a key derived from SECRET_KEY; set up once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[datetime | None]
    # The last 30-second step whose code was accepted: that code, and older ones, never work again.
    totp_last_step: Mapped[int | None]
    # A one-time set-up link (an invitation, or after "Reset two-step") is waiting: only its hash is kept.
    # Until the person uses it, the account cannot sign in.
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    setup_expires_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses a disabled account, even with a session cookie it was given before."""
        return self.enabled

    @property
    def awaits_setup(self) -> bool:
        return self.setup_token_hash is not None

    @property
    def has_two_step(self) -> bool:
        return self.totp_confirmed_at is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def password_needs_rehash(self) -> bool:
        """Hashes made with weaker parameters are replaced at the next successful sign-in."""
        return not self.password_hash.startswith(password_method() + "$")


class StaffSession(db.Model):
    """One sign-in on one browser; the cookie holds only a random token whose hash is stored here."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None while the password is right but the authenticator code is still owed.
    verified_at: Mapped[datetime | None]
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")

    staff: Mapped[StaffUser] = relationship()


class RecoveryCode(db.Model):
    """A one-time code for signing in without the phone; only its hash is kept."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class SignInFailure(db.Model):
    """A wrong password or code that passed CSRF and form checks; the sign-in limits count these rows."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_account_at", "account", "at"),
        Index("ix_sign_in_failure_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(EMAIL_MAX))
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # A trusted device's hash (booking/staff/operations/devices.py), or None for an untrusted client.
    device: Mapped[str | None] = mapped_column(String(64))


class StaffEvent(db.Model):
    """What an administrator did to someone's account, shown to administrators on the team page."""

    __tablename__ = "staff_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    action: Mapped[StaffAction] = mapped_column(state(StaffAction, "action", 24))

    staff: Mapped[StaffUser] = relationship(foreign_keys=[staff_id])
    by: Mapped[StaffUser | None] = relationship(foreign_keys=[by_id])
