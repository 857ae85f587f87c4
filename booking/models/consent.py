"""The dry-needling consent as signed: one row per signature or withdrawal, never updated; and staff reviews."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from booking.extensions import db
from booking.models.base import NAME_MAX, state, utcnow
from booking.models.staff import ADDRESS_MAX, USER_AGENT_MAX, StaffUser
from booking.states import ConsentAction


class ConsentRecord(db.Model):
    """What one patient saw and did on their consent page: the exact text, their answers, their typed name.

    Rows are written once and never changed: publishing a new text, moving the appointment or withdrawing
    leaves every earlier row (and so every earlier PDF) as it was.
    """

    __tablename__ = "consent_record"
    # The n-th row of an appointment's consent is written once: two presses of Sign (or Withdraw) sent
    # together both ask for the same number, and the database keeps only one.
    __table_args__ = (UniqueConstraint("appointment_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int]
    action: Mapped[ConsentAction] = mapped_column(state(ConsentAction, "action", 16))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    language: Mapped[str] = mapped_column(String(8))
    # The text file's version (its name) and the SHA-256 of the file; then the exact text shown and its SHA-256.
    version: Mapped[str] = mapped_column(String(64))
    source_sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    # {"screening": [keys ticked on this page], "statements": [keys confirmed]}: only what was given here.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    flagged: Mapped[bool] = mapped_column(default=False)
    typed_name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    # The appointment as it stood when signed, for the PDF: its start (naive UTC) and practitioner.
    appointment_starts_at: Mapped[datetime]
    practitioner_name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")

    consultation_request: Mapped["ConsultationRequest"] = relationship()  # noqa: F821
    appointment: Mapped["Appointment"] = relationship()  # noqa: F821
    reviews: Mapped[list["ConsentReview"]] = relationship(
        back_populates="consent", cascade="all, delete-orphan", passive_deletes=True, order_by="ConsentReview.id"
    )


@event.listens_for(ConsentRecord, "before_update")
def _refuse_changes(_mapper, _connection, record: ConsentRecord) -> None:
    """A signed consent is evidence: any change is a bug, so the flush fails instead of rewriting it.

    A review added to its list marks the row dirty without changing a column: that passes.
    """
    if not object_session(record).is_modified(record, include_collections=False):
        return
    raise ValueError(f"consent record {record.id} is kept as signed and cannot be changed")


class ConsentReview(db.Model):
    """The practitioner went through the signed consent with the patient at the visit: who and when."""

    __tablename__ = "consent_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent_record.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    consent: Mapped[ConsentRecord] = relationship(back_populates="reviews")
    staff: Mapped[StaffUser | None] = relationship()
