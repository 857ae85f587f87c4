"""/staff/availability: administrators add practitioners and set their hours, time off and calendar feed.

Also the feed itself, /staff/feeds/<token>.ics, which calendar apps fetch without logging in: the
token is the key, so it is listed in the guard's PUBLIC_ENDPOINTS.
"""

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from booking.appointments.calendar import feed_ics
from booking.appointments.practitioners import (
    PractitionerExists,
    add_practitioner,
    add_time_off,
    all_practitioners,
    describe_time_off,
    feed_appointments,
    new_feed_token,
    practitioner_for_feed,
    remove_time_off,
    revoke_feed_token,
    set_active,
    set_hours,
    upcoming_time_off,
)
from booking.extensions import db
from booking.models import Practitioner
from booking.staff.availability_forms import HOURS_HINT, TIME_OFF_HINT, HoursForm, PractitionerForm, TimeOffForm
from booking.staff.guard import admin_required, bp

NEW_PREFIX = "new"


def _hours_prefix(practitioner_id: int) -> str:
    return f"hours-{practitioner_id}"


def _time_off_prefix(practitioner_id: int) -> str:
    return f"time-off-{practitioner_id}"


def feed_url(practitioner: Practitioner) -> str | None:
    """The address to paste into a calendar app: PUBLIC_BASE_URL, since the app may sit behind a proxy."""
    if not practitioner.feed_token:
        return None
    path = url_for("staff.calendar_feed", token=practitioner.feed_token)
    return current_app.config["PUBLIC_BASE_URL"] + path


def _card(practitioner: Practitioner, bound: FlaskForm | None) -> dict:
    """One practitioner's part of the page; the form that was just sent keeps what was typed and its error."""
    hours_prefix, time_off_prefix = _hours_prefix(practitioner.id), _time_off_prefix(practitioner.id)
    sent = bound._prefix.rstrip("-") if bound is not None else None
    return {
        "practitioner": practitioner,
        "time_off": [(t, describe_time_off(t)) for t in upcoming_time_off(practitioner)],
        "feed_url": feed_url(practitioner),
        "hours_form": bound if sent == hours_prefix else HoursForm(
            formdata=None, prefix=hours_prefix, data={"hours": practitioner.hours}),
        "time_off_form": bound if sent == time_off_prefix else TimeOffForm(formdata=None, prefix=time_off_prefix),
    }


def _render_availability(bound: FlaskForm | None = None):
    """The whole page; `bound` is a form sent with a mistake, shown again as typed."""
    new_form = bound if isinstance(bound, PractitionerForm) else PractitionerForm(formdata=None, prefix=NEW_PREFIX)
    cards = [_card(practitioner, bound) for practitioner in all_practitioners()]
    return render_template("staff/availability.html", cards=cards, new_form=new_form, bound=bound,
                           hours_hint=HOURS_HINT, time_off_hint=TIME_OFF_HINT)


def _back():
    return redirect(url_for("staff.availability"), 303)


@bp.get("/availability")
@admin_required
def availability():
    return _render_availability()


@bp.post("/availability")
@admin_required
def add_practitioner_view():
    form = PractitionerForm(prefix=NEW_PREFIX)
    if form.validate_on_submit():
        try:
            practitioner = add_practitioner(form.name.data, form.hours.data, form.email.data)
        except PractitionerExists:
            form.name.errors.append("There is already a practitioner with that name.")
        else:
            flash(f"{practitioner.name} added. Their times are offered to patients from now on.")
            return _back()
    return _render_availability(form)


@bp.post("/availability/<int:practitioner_id>/hours")
@admin_required
def change_hours(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    form = HoursForm(prefix=_hours_prefix(practitioner_id))
    if not form.validate_on_submit():
        return _render_availability(form)
    set_hours(practitioner, form.hours.data)
    flash(f"{practitioner.name}'s hours are now {practitioner.hours}.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/time-off")
@admin_required
def add_practitioner_time_off(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    form = TimeOffForm(prefix=_time_off_prefix(practitioner_id))
    if not form.validate_on_submit():
        return _render_availability(form)
    time_off = add_time_off(practitioner, form.starts.data, form.ends.data or None)
    flash(f"{practitioner.name} is away {describe_time_off(time_off)}.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/time-off/<int:time_off_id>/remove")
@admin_required
def remove_practitioner_time_off(practitioner_id: int, time_off_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    if remove_time_off(practitioner, time_off_id):
        flash(f"Time off removed for {practitioner.name}.")
    else:
        flash("That time off was already removed.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/active")
@admin_required
def toggle_practitioner(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    set_active(practitioner, not practitioner.active)
    if practitioner.active:
        flash(f"{practitioner.name} is active: their times are offered again.")
    else:
        flash(f"{practitioner.name} is inactive: no new times are offered. Times already held stay held.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/feed")
@admin_required
def create_feed(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    new_feed_token(practitioner)
    flash(f"New calendar feed address for {practitioner.name}. Any earlier address no longer works.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/feed/revoke")
@admin_required
def revoke_feed(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    revoke_feed_token(practitioner)
    flash(f"{practitioner.name}'s calendar feed is revoked: its address no longer works.")
    return _back()


@bp.get("/feeds/<token>.ics")
def calendar_feed(token: str):
    """For calendar apps, which cannot log in: the secret token is the key, and revoking it locks the door."""
    practitioner = practitioner_for_feed(token)
    if practitioner is None:
        abort(404)
    body = feed_ics(practitioner.name, feed_appointments(practitioner))
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "inline; filename=consultations.ics"
    return response
