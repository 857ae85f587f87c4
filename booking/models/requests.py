"""A patient's consultation request and its history at the front desk."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.base import (CONDITION_OTHER_MAX, EMAIL_MAX, NAME_MAX, NEVER_REUSE_IDS, PHONE_E164_MAX,
                                 PHONE_MAX, state, utcnow)
from booking.models.staff import StaffUser
from booking.states import Actor, CloseReason, RequestStatus


class ConsultationRequest(db.Model):
    """One person asking the clinic for a dry-needling consultation."""

    __tablename__ = "consultation_request"
    __table_args__ = (NEVER_REUSE_IDS,)

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
    # When a staff member first did anything with it (a status, a note, its time): overdue counts only the rest.
    first_action_at: Mapped[datetime | None]
    # Set when the patient changes or cancels their time; cleared when staff open the request.
    attention_since: Mapped[datetime | None] = mapped_column(index=True)

    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    # As the patient typed it, for display; phone_e164 is the normal form for tel: links and search.
    phone: Mapped[str] = mapped_column(String(PHONE_MAX), default="")
    phone_e164: Mapped[str] = mapped_column(String(PHONE_E164_MAX), default="", index=True)
    contact_method: Mapped[str] = mapped_column(String(16))
    # The language of the pages the patient wrote in; every email to them goes in it.
    language: Mapped[str] = mapped_column(String(8), default="en")
    consultation_language: Mapped[str] = mapped_column(String(16), default="")
    interpreter: Mapped[str] = mapped_column(String(8), default="")

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

    # At most one appointment per request: held, offered, confirmed, or cancelled/released (kept for its history).
    appointment: Mapped["Appointment | None"] = relationship(  # noqa: F821
        back_populates="consultation_request", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    waitlist_entry: Mapped["WaitlistEntry | None"] = relationship(  # noqa: F821
        back_populates="consultation_request", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )

    @property
    def raised_flags(self) -> list[str]:
        """The screening answers staff must see first ("none" is not a flag)."""
        return [flag for flag in self.screening_flags if flag != "none"]


class RequestEvent(db.Model):
    """One line of a request's history: a status change, a change of its time, or a note; by whom and when."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_request.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    # Who: a staff member (staff_id, NULL once their account is gone), the patient, or the system.
    actor: Mapped[Actor] = mapped_column(state(Actor, "actor", 16), default=Actor.STAFF)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where a consultation time moved: the old and the new start (naive UTC); NULL where no time moved.
    time_from: Mapped[datetime | None]
    time_to: Mapped[datetime | None]
    # All three are empty (NULL) for a note.
    from_status: Mapped[RequestStatus | None] = mapped_column(state(RequestStatus, "from_status", 16))
    to_status: Mapped[RequestStatus | None] = mapped_column(state(RequestStatus, "to_status", 16))
    closed_reason: Mapped[CloseReason | None] = mapped_column(state(CloseReason, "closed_reason", 32))
    note: Mapped[str] = mapped_column(Text, default="")

    consultation_request: Mapped[ConsultationRequest] = relationship(back_populates="events")
    staff: Mapped[StaffUser | None] = relationship()
