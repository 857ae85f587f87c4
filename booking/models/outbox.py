"""The outbox's table: an email owed, written in the caller's transaction and delivered later."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.base import state, utcnow
from booking.states import NotificationStatus


class Notification(db.Model):
    """An email owed because of a request (or, with no request, to a member of staff): written with it,
    delivered later, retried until sent."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
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
    # Not before this time, whoever asks (a reminder); next_attempt_at is only the retry backoff.
    send_after: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # What the email is about beyond its request, e.g. the time a waitlist offer is for.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    consultation_request: Mapped["ConsultationRequest | None"] = relationship(back_populates="notifications")  # noqa: F821
