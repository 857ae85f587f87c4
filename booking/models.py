"""The tables: a patient's consultation request and the emails it owes the clinic and the patient."""

import hashlib
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from booking.enums import RichStrEnum
from booking.extensions import db
from booking.outbox.states import NotificationStatus
from booking.states import CloseReason, RequestStatus


# Each limit is written once: the column holds it, and the form's Length validator (and so the page's
# maxlength) reads it from here.
NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
PHONE_E164_MAX = 16  # "+" and at most 15 digits (ITU-T E.164)
CONDITION_OTHER_MAX = 120
DESCRIPTION_MAX = 2000


def utcnow() -> datetime:
    """Naive UTC, the one form every database here stores and compares the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def state(states: type[RichStrEnum], name: str, length: int) -> Enum:
    """A state column that stores the enum's value, and a named CHECK so the database refuses a typo."""
    return Enum(
        states,
        name=name,  # the CHECK constraint is named ck_<table>_<name>
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class ConsultationRequest(db.Model):
    """One person asking the clinic for a dry-needling consultation."""

    __tablename__ = "consultation_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # One per rendered form, so a second press of Send finds the first request.
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[RequestStatus] = mapped_column(
        state(RequestStatus, "status", 16), default=RequestStatus.NEW, index=True
    )
    closed_reason: Mapped[CloseReason | None] = mapped_column(state(CloseReason, "closed_reason", 32))
    closed_at: Mapped[datetime | None] = mapped_column(index=True)

    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    # As the patient typed it, for display; phone_e164 is the normal form for tel: links and search.
    phone: Mapped[str] = mapped_column(String(PHONE_MAX), default="")
    phone_e164: Mapped[str] = mapped_column(String(PHONE_E164_MAX), default="", index=True)
    contact_method: Mapped[str] = mapped_column(String(16))

    condition: Mapped[str] = mapped_column(String(32))
    condition_other: Mapped[str] = mapped_column(String(CONDITION_OTHER_MAX), default="")
    body_area: Mapped[str] = mapped_column(String(32), default="")
    side: Mapped[str] = mapped_column(String(16), default="")
    duration: Mapped[str] = mapped_column(String(32), default="")
    pain_level: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text)
    had_dry_needling: Mapped[str] = mapped_column(String(16), default="")

    screening_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Derived from screening_flags when stored, so the inbox can filter on it in SQL.
    flagged: Mapped[bool] = mapped_column(default=False, index=True)
    preferred_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferred_times: Mapped[list[str]] = mapped_column(JSON, default=list)

    consent_contact: Mapped[bool]
    consent_privacy: Mapped[bool]

    notifications: Mapped[list["Notification"]] = relationship(
        back_populates="consultation_request", cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="consultation_request",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RequestEvent.id",
    )

    @property
    def raised_flags(self) -> list[str]:
        """The screening answers staff must see first ("none" is not a flag)."""
        return [flag for flag in self.screening_flags if flag != "none"]


class Notification(db.Model):
    """An email owed because of a request: written with it, delivered later, retried until sent."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_request.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    # Kept across retries so a mail client threads or deduplicates a resend.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[NotificationStatus] = mapped_column(
        state(NotificationStatus, "status", 16), default=NotificationStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    consultation_request: Mapped[ConsultationRequest] = relationship(back_populates="notifications")


class StaffUser(UserMixin, db.Model):
    """A member of the clinic's staff who works the inbox; administrators also manage the team."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses a disabled account, even with a session cookie it was given before."""
        return self.enabled

    def get_id(self) -> str:
        """The session's user id carries a fingerprint of the password, so changing it ends other sessions."""
        return f"{self.id}.{self.password_fingerprint}"

    @property
    def password_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class RequestEvent(db.Model):
    """One line of a request's history: a status change or a note, by whom and when."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_request.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # All three are empty (NULL) for a note.
    from_status: Mapped[RequestStatus | None] = mapped_column(state(RequestStatus, "from_status", 16))
    to_status: Mapped[RequestStatus | None] = mapped_column(state(RequestStatus, "to_status", 16))
    closed_reason: Mapped[CloseReason | None] = mapped_column(state(CloseReason, "closed_reason", 32))
    note: Mapped[str] = mapped_column(Text, default="")

    consultation_request: Mapped[ConsultationRequest] = relationship(back_populates="events")
    staff: Mapped[StaffUser | None] = relationship()
