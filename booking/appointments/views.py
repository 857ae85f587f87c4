"""The patient's private pages: see, change or cancel one appointment, or take a freed time, with no login.

A GET only shows: mail scanners open every link in an email, so only a POST (with its CSRF token) acts.
"""

from datetime import UTC, date

from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext, lazy_gettext

from booking.appointments import operations as appointment_operations
from booking.extensions import db
from booking.formatting import slot_label, when
from booking.lifecycle import operations
from booking.appointments.links import appointment_for, manage_token, use_offer, waitlist_offer_for
from booking.appointments.queries import asked_week_of, aware_now, practitioners_free_at, week_of_times
from booking.appointments.slots import parse_slot_value
from booking.clock import clinic_zone
from booking.i18n import current_language
from booking.models import Appointment
from booking.states import AppointmentStatus, RequestStatus, WaitlistStatus

bp = Blueprint("appointments", __name__, url_prefix="/appointment")

CHOOSE_A_TIME = lazy_gettext("Choose one of the times listed.")
CONFLICT = 409
# The reason a patient may give for cancelling: it goes into the request's history, for the front desk.
REASON_MAX = 500

# What the patient reads as the status; the staff pages keep the enum's own English titles.
STATUS_WORDS = {
    AppointmentStatus.HELD: lazy_gettext("Held for the clinic to confirm"),
    AppointmentStatus.OFFERED: lazy_gettext("Another time offered"),
    AppointmentStatus.CONFIRMED: lazy_gettext("Confirmed"),
    AppointmentStatus.CANCELLED: lazy_gettext("Cancelled"),
    AppointmentStatus.RELEASED: lazy_gettext("Released"),
}


@bp.after_request
def keep_link_private(response):
    """The token in the address is the key: no cache keeps the page, no index lists it, no Referer leaks it."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _link_not_working():
    """Forged, mistyped, for another appointment or past its end: one page, never a hint which."""
    abort(make_response(render_template("appointments/not_found.html"), 404))


def _appointment(token: str) -> Appointment:
    appointment = appointment_for(token)
    if appointment is None:
        _link_not_working()
    return appointment


def _when(appointment: Appointment) -> str:
    """The appointment's time in the page's language: "jueves 11 de marzo, 9:00" under /es."""
    return when(appointment, current_language())


def _manage_page(appointment: Appointment, token: str, status: int = 200, refused: bool = False):
    late = appointment_operations.within_cancel_cutoff(appointment)
    return render_template(
        "appointments/manage.html", appointment=appointment, token=token, when=_when(appointment),
        status_words=STATUS_WORDS[appointment.status],
        late=late, can_change=appointment.holds_time and not late, refused=refused,
        cutoff_hours=current_app.config["CANCEL_CUTOFF_HOURS"], Status=AppointmentStatus,
    ), status


def _refusal(appointment: Appointment, token: str):
    """Cancel or change asked for too late, or after the time was let go: the page says why, nothing changes."""
    if appointment.holds_time and not appointment_operations.within_cancel_cutoff(appointment):
        return None
    return _manage_page(appointment, token, CONFLICT, refused=True)


@bp.get("/<token>")
def manage(token: str):
    return _manage_page(_appointment(token), token)


def _cancel_page(appointment: Appointment, token: str, reason: str = "", error: str | None = None):
    return render_template("appointments/cancel.html", appointment=appointment, token=token, when=_when(appointment),
                           reason=reason, reason_max=REASON_MAX, error=error), 200


@bp.get("/<token>/cancel")
def cancel_question(token: str):
    """Asked first: "Cancel your consultation on ...?", with room for a reason. Only the POST cancels."""
    appointment = _appointment(token)
    if (refused := _refusal(appointment, token)) is not None:
        return refused
    return _cancel_page(appointment, token)


@bp.post("/<token>/cancel")
def cancel(token: str):
    appointment = _appointment(token)
    if (refused := _refusal(appointment, token)) is not None:
        return refused
    reason = " ".join(request.form.get("reason", "").split())
    if len(reason) > REASON_MAX:
        return _cancel_page(appointment, token, reason, gettext(
            "Please keep the reason under %(count)d characters.", count=REASON_MAX))
    try:
        operations.cancel_time(appointment.consultation_request, reason)
    except appointment_operations.NotAllowed:
        db.session.rollback()
        return _manage_page(appointment, token, CONFLICT, refused=True)
    db.session.commit()
    flash(gettext("Your consultation is cancelled. We have emailed you to confirm, and told the clinic."))
    return redirect(url_for(".manage", token=manage_token(appointment)), 303)  # the link may be new now


@bp.post("/<token>/accept")
def accept(token: str):
    appointment = _appointment(token)
    try:
        operations.accept_offer(appointment.consultation_request)
    except appointment_operations.NotAllowed:
        db.session.rollback()
        return _manage_page(appointment, token, CONFLICT, refused=True)
    db.session.commit()
    flash(gettext("Thank you: the time is confirmed. We have emailed you an invitation for your calendar."))
    return redirect(url_for(".manage", token=manage_token(appointment)), 303)  # the link may be new now


def _picker(appointment: Appointment, token: str, asked: date | None, error: str | None = None,
            chosen: str | None = None):
    """The week of times; a mistake comes back with 200, as the form's do (browsers log any 4xx page)."""
    return render_template(
        "appointments/change.html", appointment=appointment, token=token, when=_when(appointment),
        week=week_of_times(asked, language=current_language()), error=error, chosen=chosen,
    ), 200


@bp.get("/<token>/change")
def change(token: str):
    appointment = _appointment(token)
    if (refused := _refusal(appointment, token)) is not None:
        return refused
    return _picker(appointment, token, asked_week_of(request.args))


@bp.post("/<token>/change")
def change_time(token: str):
    appointment = _appointment(token)
    if (refused := _refusal(appointment, token)) is not None:
        return refused
    asked = asked_week_of(request.form)
    if "show_week" in request.form:  # another week: drawn again, keeping the time picked so far
        return _picker(appointment, token, asked, chosen=request.form.get("slot"))
    try:
        start = parse_slot_value(request.form.get("slot", ""), clinic_zone())
    except ValueError:
        return _picker(appointment, token, asked, CHOOSE_A_TIME)
    try:
        operations.move_time(appointment.consultation_request, start)
    except appointment_operations.TimeTaken:
        db.session.rollback()
        return _picker(appointment, token, asked, gettext(appointment_operations.TIME_TAKEN))
    except appointment_operations.NotAllowed:
        db.session.rollback()
        return _manage_page(appointment, token, CONFLICT, refused=True)
    db.session.commit()
    flash(gettext("Your consultation is now on %(when)s.", when=_when(appointment)))
    return redirect(url_for(".manage", token=manage_token(appointment)), 303)  # the link may be new now


def _freed_time(token: str):
    """The live offer a waitlist link names; forged, used, expired or erased: "This link no longer works"."""
    offer = waitlist_offer_for(token)
    if offer is None:
        _link_not_working()
    return offer


def _freed_page(name: str, offer, status: int = 200):
    """The offered time and the patient's own reference; never a link to an appointment."""
    start = offer.starts_at.replace(tzinfo=UTC)
    return render_template(f"appointments/{name}.html", token=request.view_args["token"],
                           when=slot_label(start, clinic_zone(), current_language()),
                           reference=offer.consultation_request.reference), status


def _freed_time_state(offer) -> str:
    """Which page a waitlist link shows now; reads only, so a scanner's GET changes nothing."""
    consultation = offer.consultation_request
    entry = consultation.waitlist_entry
    if entry is None or entry.status is not WaitlistStatus.WAITING or consultation.status is RequestStatus.CLOSED:
        return "freed_not_waiting"
    start = offer.starts_at.replace(tzinfo=UTC)
    if start <= aware_now() or not practitioners_free_at(start, offer.practitioner_id):
        return "freed_taken"
    return "freed_time"


@bp.get("/freed/<token>")
def take_freed_time(token: str):
    offer = _freed_time(token)
    return _freed_page(_freed_time_state(offer), offer, 200)


@bp.post("/freed/<token>")
def book_freed_time(token: str):
    offer = _freed_time(token)
    if not use_offer(offer):  # the same link pressed twice at once: the other press has it
        _link_not_working()
    consultation, start = offer.consultation_request, offer.starts_at.replace(tzinfo=UTC)
    try:  # the offer's use, the booking, its history and emails: one commit; a refusal keeps the link working
        appointment = operations.take_freed_time(consultation, start, offer.practitioner_id)
    except appointment_operations.TimeTaken:
        db.session.rollback()
        return _freed_page("freed_taken", offer, CONFLICT)
    except appointment_operations.NotAllowed:
        db.session.rollback()
        return _freed_page("freed_not_waiting", offer, CONFLICT)
    db.session.commit()
    if appointment.status is AppointmentStatus.CONFIRMED:
        flash(gettext("The time is yours. We have emailed you a confirmation with an invitation for your calendar."))
    else:
        flash(gettext("The time is held for you. The clinic will confirm it by email."))
    return redirect(url_for(".manage", token=manage_token(appointment)), 303)
