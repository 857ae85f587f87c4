"""Did the patient come? The front desk marks an appointment whose time has started, and may undo it that day.

Each change is one conditional UPDATE, so of two desks marking the same appointment at once exactly one
mark stands and the other is told what it was; a different mark needs an undo first. Each writes its line
in the request's history, in the caller's transaction: the view commits once.

A patient who cancels inside CANCEL_CUTOFF_HOURS counts as a late cancellation without anyone marking it:
the patient's cancel (booking/lifecycle/operations.py) calls attendance_after_patient_cancel() in its transaction.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app

from booking.appointments.queries import aware_now
from booking.clock import clinic_zone, to_stored
from booking.extensions import db
from booking.formatting import when
from booking.lifecycle.history import PATIENT, By, by_staff, write_line
from booking.models import Appointment, RequestEvent, StaffUser
from booking.states import AppointmentStatus, Attendance


class AttendanceRefused(Exception):
    """A mark that cannot be made or undone now; the message says why, in the front desk's words."""


def has_started(appointment: Appointment, now: datetime | None = None) -> bool:
    return appointment.starts_at.replace(tzinfo=UTC) <= (now or aware_now())


def can_mark(appointment: Appointment, now: datetime | None = None) -> bool:
    """A time that was kept for the patient, has started, and is not marked yet."""
    return appointment.attendance is None and appointment.holds_time and has_started(appointment, now)


def can_undo(appointment: Appointment, now: datetime | None = None) -> bool:
    """A mark may be taken back on the clinic's day it was made, and not after."""
    if appointment.attendance is None or appointment.attendance_at is None:
        return False
    zone = clinic_zone()
    marked_on = appointment.attendance_at.replace(tzinfo=UTC).astimezone(zone).date()
    return marked_on == (now or aware_now()).astimezone(zone).date()


def mark(appointment: Appointment, outcome: Attendance, staff: StaffUser, now: datetime | None = None) -> RequestEvent:
    """Record what happened at the appointment's time, with a history line by `staff`. No commit."""
    now = now or aware_now()
    if not has_started(appointment, now):
        raise AttendanceRefused("This consultation has not started yet: mark it once its time has come.")
    if not appointment.holds_time:
        raise AttendanceRefused("This appointment no longer holds a time.")
    marked = db.session.execute(
        db.update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.attendance.is_(None),
               Appointment.status.in_(AppointmentStatus.holding()))
        .values(attendance=outcome, attendance_at=to_stored(now))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(appointment, ["attendance", "attendance_at", "status", "updated_at"])
    if marked != 1:
        already = appointment.attendance.title if appointment.attendance else "changed"
        raise AttendanceRefused(f"Someone has just marked this consultation: {already}. Undo that first to change it.")
    return _history(appointment, by_staff(staff),
                    f"Marked the consultation {when(appointment)} as {outcome.title.lower()}.", now)


def undo(appointment: Appointment, staff: StaffUser, now: datetime | None = None) -> RequestEvent:
    """Take back today's mark, with a history line by `staff`. No commit."""
    now = now or aware_now()
    was = appointment.attendance
    if was is None:
        raise AttendanceRefused("This consultation is not marked.")
    if not can_undo(appointment, now):
        raise AttendanceRefused("A mark can be undone only on the day it was made.")
    undone = db.session.execute(
        db.update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.attendance == was,
               Appointment.attendance_at == appointment.attendance_at)
        .values(attendance=None, attendance_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(appointment, ["attendance", "attendance_at", "updated_at"])
    if undone != 1:
        raise AttendanceRefused("Someone has just changed this mark: look again before undoing it.")
    return _history(appointment, by_staff(staff), f"Undid the mark “{was.title.lower()}” on the consultation {when(appointment)}.",
                    now)


def attendance_after_patient_cancel(appointment: Appointment, now: datetime | None = None) -> None:
    """A patient's cancellation inside CANCEL_CUTOFF_HOURS counts as cancelled late, in the cancel's transaction."""
    now = now or aware_now()
    cutoff = timedelta(hours=current_app.config["CANCEL_CUTOFF_HOURS"])
    if appointment.attendance is not None or appointment.starts_at.replace(tzinfo=UTC) - now >= cutoff:
        return
    appointment.attendance = Attendance.CANCELLED_LATE
    appointment.attendance_at = to_stored(now)
    hours = current_app.config["CANCEL_CUTOFF_HOURS"]
    _history(appointment, PATIENT, f"The patient cancelled the consultation {when(appointment)} less than {hours} "
                                f"hours before it: counted as cancelled late.", now)


def _history(appointment: Appointment, by: By, note: str, now: datetime) -> RequestEvent:
    return write_line(appointment.consultation_request, by, note, at=to_stored(now))
