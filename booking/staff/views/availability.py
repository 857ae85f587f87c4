"""/staff/availability: administrators add practitioners and set their hours, time off and calendar feed.

Also the feed itself, /staff/feeds/<token>.ics, which calendar apps fetch without logging in: the
token is the key, so it is listed in the guard's PUBLIC_ENDPOINTS.
"""

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from booking.appointments.calendar import feed_ics
from booking.appointments.operations.practitioners import (
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
from booking.appointments.hours import HoursSpecError
from booking.extensions import db
from booking.models import Practitioner
from booking.staff.forms import (
    DAY_WORDS,
    HOURS_HINT,
    RANGES_MAX,
    TIME_OFF_HINT,
    HoursForm,
    PractitionerForm,
    ProfileForm,
    TimeOffForm,
    posted_rows,
    rows_of,
    sentence,
    spec_of,
)
from booking.staff.guard import admin_required, bp
from booking.staff.views.confirm import NOT_CONFIRMED, confirmed

NEW_PREFIX = "new"


def _hours_prefix(practitioner_id: int) -> str:
    return f"hours-{practitioner_id}"


def _profile_prefix(practitioner_id: int) -> str:
    return f"profile-{practitioner_id}"


def _time_off_prefix(practitioner_id: int) -> str:
    return f"time-off-{practitioner_id}"


def feed_url(practitioner: Practitioner) -> str | None:
    """The address to paste into a calendar app: PUBLIC_BASE_URL, since the app may sit behind a proxy."""
    if not practitioner.feed_token:
        return None
    path = url_for("staff.calendar_feed", token=practitioner.feed_token)
    return current_app.config["PUBLIC_BASE_URL"] + path


def _card(practitioner: Practitioner, bound: FlaskForm | None, bound_for: int | None, hours_sent: dict | None) -> dict:
    """One practitioner's part of the page; the form that was just sent keeps what was typed and its error."""
    hours_prefix, time_off_prefix = _hours_prefix(practitioner.id), _time_off_prefix(practitioner.id)
    sent = bound if bound_for == practitioner.id else None
    mine = hours_sent if hours_sent and hours_sent["practitioner_id"] == practitioner.id else None
    return {
        "practitioner": practitioner,
        "time_off": [(t, describe_time_off(t)) for t in upcoming_time_off(practitioner)],
        "feed_url": feed_url(practitioner),
        "hours_prefix": hours_prefix,
        "hours_rows": mine["rows"] if mine else rows_of(practitioner.hours),
        "hours_error": mine["error"] if mine else None,
        "profile_form": sent if isinstance(sent, ProfileForm) else ProfileForm(
            formdata=None, prefix=_profile_prefix(practitioner.id),
            data={"public_title": practitioner.public_title or "", "bio": practitioner.bio or ""}),
        "time_off_form": sent if isinstance(sent, TimeOffForm) else TimeOffForm(formdata=None, prefix=time_off_prefix),
    }


def _render_availability(bound: FlaskForm | None = None, hours_sent: dict | None = None, bound_for: int | None = None):
    """The whole page; `bound` is a form sent with a mistake (about practitioner `bound_for`), `hours_sent`
    hours rows, shown again as typed."""
    new_form = bound if isinstance(bound, PractitionerForm) else PractitionerForm(formdata=None, prefix=NEW_PREFIX)
    cards = [_card(practitioner, bound, bound_for, hours_sent) for practitioner in all_practitioners()]
    return render_template("staff/availability.html", cards=cards, new_form=new_form, bound=bound,
                           hours_sent=hours_sent, hours_hint=HOURS_HINT, time_off_hint=TIME_OFF_HINT,
                           day_words=DAY_WORDS)


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
            db.session.commit()
            flash(f"{practitioner.name} added. Their times are offered to patients from now on.")
            return _back()
    return _render_availability(form)


@bp.post("/availability/<int:practitioner_id>/hours")
@admin_required
def change_hours(practitioner_id: int):
    """Hours sent as rows of days; "Add a range" draws the rows again with one more pair, saving nothing."""
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    form = HoursForm(prefix=_hours_prefix(practitioner_id))
    if not form.validate_on_submit():
        return _render_availability(form)
    rows = posted_rows(request.form, _hours_prefix(practitioner_id))
    added = request.form.get("add_range_day") if "add_range" in request.form else None
    if added is not None:
        for row in rows:
            if row.day == added and len(row.ranges) < RANGES_MAX:
                row.ranges.append(("", ""))
        return _render_availability(hours_sent={"practitioner_id": practitioner_id, "rows": rows, "error": None})
    try:
        spec = spec_of(rows)
    except HoursSpecError as error:
        return _render_availability(hours_sent={"practitioner_id": practitioner_id, "rows": rows,
                                                "error": sentence(str(error))})
    set_hours(practitioner, spec)
    db.session.commit()
    flash(f"{practitioner.name}'s hours are now {practitioner.hours}.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/profile")
@admin_required
def change_profile(practitioner_id: int):
    """The title and bio patients read on the information page and beside each time."""
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    form = ProfileForm(prefix=_profile_prefix(practitioner_id))
    if not form.validate_on_submit():
        return _render_availability(form, bound_for=practitioner_id)
    practitioner.public_title = " ".join((form.public_title.data or "").split()) or None
    practitioner.bio = (form.bio.data or "").strip() or None
    db.session.commit()
    current_app.logger.info("Public profile of practitioner %s changed", practitioner.id)
    flash(f"{practitioner.name}'s public profile is saved.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/time-off")
@admin_required
def add_practitioner_time_off(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    form = TimeOffForm(prefix=_time_off_prefix(practitioner_id))
    if not form.validate_on_submit():
        return _render_availability(form, bound_for=practitioner_id)
    time_off = add_time_off(practitioner, form.starts_text(), form.ends_text())
    db.session.commit()
    flash(f"{practitioner.name} is away {describe_time_off(time_off)}.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/time-off/<int:time_off_id>/remove")
@admin_required
def remove_practitioner_time_off(practitioner_id: int, time_off_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    removed = remove_time_off(practitioner, time_off_id)
    db.session.commit()
    if removed:
        flash(f"Time off removed for {practitioner.name}.")
    else:
        flash("That time off was already removed.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/active")
@admin_required
def toggle_practitioner(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    if practitioner.active and not confirmed():
        flash(NOT_CONFIRMED)
        return _back()
    set_active(practitioner, not practitioner.active)
    db.session.commit()
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
    db.session.commit()
    flash(f"New calendar feed address for {practitioner.name}. Any earlier address no longer works.")
    return _back()


@bp.post("/availability/<int:practitioner_id>/feed/revoke")
@admin_required
def revoke_feed(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    if not confirmed():
        flash(NOT_CONFIRMED)
        return _back()
    revoke_feed_token(practitioner)
    db.session.commit()
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
