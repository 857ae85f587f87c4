"""Practitioners, their hours and time off, the appointments patients hold, and the cells that make them exclusive."""

import secrets
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.base import EMAIL_MAX, NAME_MAX, state, utcnow
from booking.states import AppointmentStatus, WaitlistStatus

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
    return secrets.token_urlsafe(16)


class Appointment(db.Model):
    """A consultation time a request holds. Its cells, not this row, are what the database keeps exclusive."""

    __tablename__ = "appointment"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

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
    # Part of the signed manage link; a new nonce makes every earlier link stop working.
    manage_nonce: Mapped[str] = mapped_column(String(32), default=new_nonce)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultation_request: Mapped["ConsultationRequest"] = relationship(back_populates="appointment")  # noqa: F821
    practitioner: Mapped[Practitioner] = relationship()
    cells: Mapped[list["BookedCell"]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def holds_time(self) -> bool:
        """Held, offered or confirmed: the time is this patient's and no one else's."""
        return self.status in AppointmentStatus.holding()


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

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id", ondelete="CASCADE"), unique=True)
    status: Mapped[WaitlistStatus] = mapped_column(
        state(WaitlistStatus, "status", 16), default=WaitlistStatus.WAITING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    consultation_request: Mapped["ConsultationRequest"] = relationship(back_populates="waitlist_entry")  # noqa: F821



