"""Administrators add staff and disable or re-enable their accounts."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from booking.extensions import db
from booking.models import StaffUser
from booking.staff.forms import NewStaffForm
from booking.staff.guard import admin_required, bp
from booking.staff.service import StaffExists, create_staff


def _render_team(form: NewStaffForm):
    team = db.session.execute(db.select(StaffUser).order_by(StaffUser.email)).scalars().all()
    return render_template("staff/team.html", team=team, form=form)


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
            staff = create_staff(form.email.data, form.password.data, bool(form.is_admin.data))
        except StaffExists:
            form.email.errors.append("There is already an account with that email address.")
        else:
            flash(f"Account created for {staff.email}. Give them their first password in person or by phone.")
            return redirect(url_for("staff.team"), 303)
    return _render_team(form)


@bp.post("/team/<int:staff_id>/enabled")
@admin_required
def toggle_staff(staff_id: int):
    staff = db.get_or_404(StaffUser, staff_id)
    if staff.id == current_user.id:
        flash("You cannot disable your own account.")
    else:
        staff.enabled = not staff.enabled
        db.session.commit()
        state = "enabled" if staff.enabled else "disabled"
        current_app.logger.info("Staff account %s %s by staff %s", staff.id, state, current_user.id)
        flash(f"{staff.email} is now {state}.")
    return redirect(url_for("staff.team"), 303)
