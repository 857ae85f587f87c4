"""Administrators add staff and disable or re-enable their accounts."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from booking.extensions import db
from booking.models import StaffEvent, StaffUser
from booking.staff.forms import NewStaffForm
from booking.staff.guard import admin_required, bp
from booking.staff.operations.accounts import StaffExists
from booking.staff.operations.invitations import NO_PASSWORD, invite, reset_by_link, send_setup_link
from booking.staff.operations.sessions import end_all_sessions, signed_in_staff
from booking.staff.views.confirm import NOT_CONFIRMED, confirmed
from booking.states import StaffAction

HISTORY_SHOWN = 50


def _render_team(form: NewStaffForm):
    team = db.session.execute(db.select(StaffUser).order_by(StaffUser.email)).scalars().all()
    history = db.session.execute(
        db.select(StaffEvent).order_by(StaffEvent.at.desc(), StaffEvent.id.desc()).limit(HISTORY_SHOWN)
    ).scalars().all()
    return render_template("staff/team.html", team=team, form=form, history=history)


@bp.get("/team")
@admin_required
def team():
    return _render_team(NewStaffForm(formdata=None))


@bp.post("/team")
@admin_required
def add_staff():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            staff = invite(form.email.data, bool(form.is_admin.data), signed_in_staff())
        except StaffExists:
            form.email.errors.append("There is already an account with that email address.")
        else:
            db.session.commit()  # the account and its invitation email, or neither
            hours = current_app.config["STAFF_INVITE_HOURS"]
            flash(f"Invitation sent to {staff.email}. Their link works once, for {hours} hours: they choose "
                  "their own password and set up two-step sign-in.")
            return redirect(url_for("staff.team"), 303)
    return _render_team(form)


@bp.post("/team/<int:staff_id>/enabled")
@admin_required
def toggle_staff(staff_id: int):
    staff = db.get_or_404(StaffUser, staff_id)
    if staff.id == current_user.id:
        flash("You cannot disable your own account.")
    elif staff.enabled and not confirmed():
        flash(NOT_CONFIRMED)
    else:
        staff.enabled = not staff.enabled
        action = StaffAction.ENABLED if staff.enabled else StaffAction.DISABLED
        db.session.add(StaffEvent(staff_id=staff.id, by_id=current_user.id, action=action))
        if not staff.enabled:
            end_all_sessions(staff.id)  # signed out everywhere now, not at the session's end
        db.session.commit()
        state = "enabled" if staff.enabled else "disabled"
        current_app.logger.info("Staff account %s %s by staff %s", staff.id, state, current_user.id)
        flash(f"{staff.email} is now {state}.")
    return redirect(url_for("staff.team"), 303)


@bp.post("/team/<int:staff_id>/two-step/reset")
@admin_required
def reset_staff_two_step(staff_id: int):
    """For a lost phone: they are signed out everywhere, and cannot sign in until they use the link emailed to them."""
    staff = db.get_or_404(StaffUser, staff_id)
    if staff.id == current_user.id:
        flash("Ask another administrator to reset your own two-step sign-in.")
    else:
        reset_by_link(staff, by=signed_in_staff())
        db.session.commit()
        flash(f"Two-step sign-in reset for {staff.email}: they are emailed a one-time link to set it up again, "
              "and cannot sign in until they use it.")
    return redirect(url_for("staff.team"), 303)


@bp.post("/team/<int:staff_id>/set-up-link")
@admin_required
def resend_setup_link(staff_id: int):
    """An invitation or reset link expired or lost: a new one replaces it (the old one stops working)."""
    staff = db.get_or_404(StaffUser, staff_id)
    if not staff.awaits_setup or staff.id == current_user.id:
        abort(404)
    send_setup_link(staff, "invite" if staff.password_hash == NO_PASSWORD else "reset")
    db.session.commit()
    flash(f"A new set-up link is on its way to {staff.email}; the one sent before no longer works.")
    return redirect(url_for("staff.team"), 303)
