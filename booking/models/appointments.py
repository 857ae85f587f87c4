"""Practitioners, their hours and time off, the appointments patients hold, and the cells that make them exclusive."""

import secrets
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.base import EMAIL_MAX, NAME_MAX, NEVER_REUSE_IDS, state, utcnow
from booking.states import AppointmentStatus, Attendance, WaitlistStatus

HOURS_SPEC_MAX = 500


PUBLIC_TITLE_MAX = 120
BIO_MAX = 600


class Practitioner(db.Model):
    """A therapist whose weekly hours offer consultation times; never deleted, only made inactive."""

    __tablename__ = "practitioner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    active: Mapped[bool] = mapped_column(default=True)
    # The canonical weekly hours spec (booking.appointments.hours.format_hours), read in CLINIC_TIMEZONE.
    hours: Mapped[str] = mapped_column(String(HOURS_SPEC_MAX), default="")
    # The secret in the private iCal feed URL; None once an administrator revokes it.
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # What the dry-needling consent says of their training ("Certified in dry needling by ..."); None: not told.
    dry_needling_training: Mapped[str | None] = mapped_column(Text)
    # What patients read about them (the information page, the time picker): optional.
    public_title: Mapped[str | None] = mapped_column(String(PUBLIC_TITLE_MAX))  # "PT, DPT, certified in dry needling"
    bio: Mapped[str | None] = mapped_column(String(BIO_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    time_off: Mapped[list["TimeOff"]] = relationship(
        back_populates="practitioner", cascade="all, delete-orphan", passive_deletes=True, order_by="TimeOff.starts_at"
    )


class TimeOff(db.Model):
    """A stretch when a practitioner takes no consultations: whole days or part of one, stored in UTC."""

    __tablename__ = "time_off"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    practitioner: Mapped[Practitioner] = relationship(back_populates="time_off")


def new_uid() -> str:
    return uuid.uuid4().hex


def new_nonce() -> str:
    """192 random bits, 32 URL-safe characters: the whole of a patient's link to their appointment."""
    return secrets.token_urlsafe(24)


def new_offer_token() -> str:
    return secrets.token_urlsafe(32)


class Appointment(db.Model):
    """A consultation time a request holds. Its cells, not this row, are what the database keeps exclusive."""

    __tablename__ = "appointment"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_request.id", ondelete="CASCADE"), unique=True
    )
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        state(AppointmentStatus, "status", 16), default=AppointmentStatus.HELD, index=True
    )
    # The calendar identity of this appointment: the UID never changes; SEQUENCE rises with every change.
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    # The patient's manage link is this random value alone; a new one (links.rotate_manage_link) makes every
    # earlier link stop working at once.
    manage_nonce: Mapped[str] = mapped_column(String(32), default=new_nonce, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Did the patient come? Marked once the time has started (appointments/operations/attendance.py); None till then.
    attendance: Mapped[Attendance | None] = mapped_column(state(Attendance, "attendance", 16), index=True)
    attendance_at: Mapped[datetime | None]
    # When the time first became confirmed (by the desk, the patient taking an offer, or at once); for the numbers.
    confirmed_at: Mapped[datetime | None]

    consultation_request: Mapped["ConsultationRequest"] = relationship(back_populates="appointment")  # noqa: F821
    practitioner: Mapped[Practitioner] = relationship()
    cells: Mapped[list["BookedCell"]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def holds_time(self) -> bool:
        """Held, offered or confirmed: the time is this patient's and no one else's."""
        return self.status in AppointmentStatus.holding()


@event.listens_for(Appointment.status, "set")
def _remember_confirmation(appointment: Appointment, value, old_value, _initiator) -> None:
    """Whoever confirms a time (the desk, the patient accepting an offer, auto-confirm), its first moment is kept."""
    if value == AppointmentStatus.CONFIRMED and old_value != AppointmentStatus.CONFIRMED \
            and appointment.confirmed_at is None:
        appointment.confirmed_at = utcnow()


class BookedCell(db.Model):
    """Five minutes of one practitioner's time, taken by one appointment.

    The primary key (practitioner, cell start) is the double-booking guard: a second appointment that
    overlaps the first by even one cell fails to insert, on SQLite and PostgreSQL alike.
    """

    __tablename__ = "booked_cell"

    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)

    appointment: Mapped[Appointment] = relationship(back_populates="cells")


class WaitlistEntry(db.Model):
    """A patient who found no time that suits, waiting to be told when one frees up."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id", ondelete="CASCADE"), unique=True)
    status: Mapped[WaitlistStatus] = mapped_column(
        state(WaitlistStatus, "status", 16), default=WaitlistStatus.WAITING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    consultation_request: Mapped["ConsultationRequest"] = relationship(back_populates="waitlist_entry")  # noqa: F821


class WaitlistOffer(db.Model):
    """One freed time offered to one waiting patient: the link's random token, until it is used or expires.

    It expires when the time starts or WAITLIST_OFFER_HOURS after it was made, whichever comes first; it is
    used once (taken), and goes with the request when that is erased.
    """

    __tablename__ = "waitlist_offer"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_offer_token)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    starts_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]

    consultation_request: Mapped["ConsultationRequest"] = relationship()  # noqa: F821
