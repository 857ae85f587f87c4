"""Arrived, no-show, cancelled late: the front desk marks an appointment whose time has started. Each is a POST.

The buttons sit on the agenda and on the request page (templates/staff/_attendance.html); each answer goes
back to the page the button was on.
"""

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from booking.appointments.operations import attendance
from booking.extensions import db
from booking.staff.guard import bp
from booking.staff.queries import find_request
from booking.states import Attendance


@bp.app_template_global()
def attendance_actions(appointment) -> dict:
    """What the page may offer for this appointment now: the marks, or an undo."""
    return {"can_mark": attendance.can_mark(appointment), "can_undo": attendance.can_undo(appointment),
            "outcomes": list(Attendance)}


def _appointment_or_404(reference: str):
    consultation = find_request(reference)
    if consultation is None or consultation.appointment is None:
        abort(404)
    return consultation, consultation.appointment


def _back(consultation):
    """To the agenda day the button was on (rebuilt, never a URL taken from the form), else the request page."""
    try:
        day = date.fromisoformat(request.form.get("agenda_day", ""))
    except ValueError:
        return redirect(url_for("staff.request_detail", reference=consultation.reference), 303)
    view = "week" if request.form.get("agenda_view") == "week" else "day"
    return redirect(url_for("staff.agenda_page", day=day.isoformat(), view=view), 303)


@bp.post("/requests/<reference>/attendance")
def mark_attendance(reference: str):
    consultation, appointment = _appointment_or_404(reference)
    try:
        outcome = Attendance(request.form.get("outcome", ""))
    except ValueError:
        flash("Choose Arrived, No-show or Cancelled late.")
        return _back(consultation)
    try:
        attendance.mark(appointment, outcome, current_user)
    except attendance.AttendanceRefused as exc:
        db.session.rollback()
        flash(f"{consultation.reference}: {exc}")
        return _back(consultation)
    db.session.commit()
    flash(f"{consultation.reference}: marked {outcome.title.lower()}.")
    return _back(consultation)


@bp.post("/requests/<reference>/attendance/undo")
def undo_attendance(reference: str):
    consultation, appointment = _appointment_or_404(reference)
    try:
        attendance.undo(appointment, current_user)
    except attendance.AttendanceRefused as exc:
        db.session.rollback()
        flash(f"{consultation.reference}: {exc}")
        return _back(consultation)
    db.session.commit()
    flash(f"{consultation.reference}: the mark is undone.")
    return _back(consultation)
