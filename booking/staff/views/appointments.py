"""A request's held time at the front desk: confirm it, offer another, or release it. Each is a POST."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from booking import formatting
from booking.appointments.operations import TIME_TAKEN
from booking.appointments.queries import active_practitioners, asked_week_of, week_of_times
from booking.appointments.slots import parse_slot_value
from booking.clock import clinic_zone
from booking.extensions import db
from booking.lifecycle import operations
from booking.lifecycle.operations import NotAllowed, TimeTaken, by_staff
from booking.models import Appointment, ConsultationRequest
from booking.parsing import row_id
from booking.staff.guard import bp
from booking.staff.queries import find_request
from booking.staff.views.confirm import NOT_CONFIRMED, confirmed

NOT_A_TIME = "Choose one of the times shown."
NO_TIME = "Choose a time to offer."


def held_time(appointment: Appointment | None) -> str:
    """'Tuesday 16 March, 9:00 am' on the clinic's clock (staff read English), or nothing."""
    return formatting.when(appointment) if appointment else ""


@bp.app_template_global()
def time_held_by(consultation: ConsultationRequest) -> Appointment | None:
    """The appointment whose time this request holds now; a released or cancelled one holds nothing."""
    appointment = consultation.appointment
    return appointment if appointment is not None and appointment.holds_time else None


@bp.context_processor
def appointment_page_context() -> dict:
    return {"held_time": held_time}


def _holding_or_404(reference: str) -> tuple[ConsultationRequest, Appointment]:
    """The request and the time it holds; a request holding no time has nothing to act on."""
    consultation = find_request(reference)
    if consultation is None or time_held_by(consultation) is None:
        abort(404)
    return consultation, consultation.appointment


def _back_to(consultation: ConsultationRequest, message: str):
    flash(message)
    return redirect(url_for("staff.request_detail", reference=consultation.reference), 303)


def _refused(consultation: ConsultationRequest, exc: NotAllowed):
    """Nothing of a refused change stays: the transaction is rolled back before the page says why."""
    db.session.rollback()
    return _back_to(consultation, str(exc))


def _committed() -> None:
    """The view's one commit; the email it queued leaves at once (the outbox wakes on the commit)."""
    db.session.commit()


@bp.post("/requests/<reference>/time/confirm")
def confirm_time(reference: str):
    consultation, appointment = _holding_or_404(reference)
    try:
        operations.confirm_time(consultation, by_staff(current_user))
    except NotAllowed as exc:
        return _refused(consultation, exc)
    when = held_time(appointment)
    _committed()
    return _back_to(consultation, f"Confirmed {when}. The patient will get the confirmation by email.")


@bp.post("/requests/<reference>/time/release")
def release_time(reference: str):
    consultation, appointment = _holding_or_404(reference)
    if not confirmed():
        return _back_to(consultation, NOT_CONFIRMED)
    when = held_time(appointment)
    try:
        operations.release_time(consultation, by_staff(current_user))
    except NotAllowed as exc:
        return _refused(consultation, exc)
    _committed()
    return _back_to(consultation, f"Released {when}. This is a plain request again.")


@bp.post("/requests/<reference>/time/new-link")
def send_new_link(reference: str):
    """A link forwarded or lost: the old one stops at once; the patient is emailed the new one."""
    consultation, _appointment = _holding_or_404(reference)
    operations.send_new_link(consultation, by_staff(current_user))
    _committed()
    return _back_to(consultation, "Sent a new link. The link sent before no longer works.")


def _asked_practitioner(source) -> int | None:
    """A practitioner chosen on the page, if it is one who takes consultations; otherwise anyone."""
    asked = source.get("practitioner", "")
    ids = {practitioner.id for practitioner in active_practitioners()}
    chosen = row_id(asked)
    return chosen if chosen in ids else None


def _render_picker(consultation, appointment, practitioner_id, error=""):
    """The picker, again with fresh times after a refusal: a form shown with its message, as the app does (200)."""
    week = week_of_times(asked_week_of(request.form if request.method == "POST" else request.args), practitioner_id)
    return render_template("staff/offer.html", req=consultation, appointment=appointment, week=week,
                           practitioners=active_practitioners(), practitioner_id=practitioner_id,
                           error=error, chosen=request.values.get("slot"))


@bp.get("/requests/<reference>/time/offer")
def offer_picker(reference: str):
    consultation, appointment = _holding_or_404(reference)
    return _render_picker(consultation, appointment, _asked_practitioner(request.args))


@bp.post("/requests/<reference>/time/offer")
def offer_time(reference: str):
    consultation, appointment = _holding_or_404(reference)
    practitioner_id = _asked_practitioner(request.form)
    if "show_week" in request.form:  # another week or practitioner: drawn again, nothing offered yet
        return _render_picker(consultation, appointment, practitioner_id)
    chosen = request.form.get("slot", "")
    if not chosen:
        return _render_picker(consultation, appointment, practitioner_id, NO_TIME)
    try:
        start = parse_slot_value(chosen, clinic_zone())
    except ValueError:
        return _render_picker(consultation, appointment, practitioner_id, NOT_A_TIME)
    try:
        operations.offer_time(consultation, start, practitioner_id, by_staff(current_user))
    except TimeTaken:
        db.session.rollback()
        return _render_picker(consultation, appointment, practitioner_id, TIME_TAKEN)  # English: as written
    except NotAllowed as exc:
        return _refused(consultation, exc)
    when = held_time(appointment)
    _committed()
    return _back_to(consultation, f"Offered {when}. The patient will get an email to accept it or choose again.")

