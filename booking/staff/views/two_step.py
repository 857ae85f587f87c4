"""The second step of signing in: the authenticator code, or at the first sign-in, setting the app up."""

from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for

from booking.extensions import db
from booking.staff.forms import SecondStepForm, SetUpForm
from booking.staff.guard import bp
from booking.staff.operations.accounts import note_sign_in
from booking.staff.operations.devices import remember_device
from booking.staff.operations.sessions import verify_session
from booking.staff.views.account import counted_attempt, safe_next, signed_in
from booking.staff.operations.two_step import (
    accept_code, confirm_set_up, key_in_groups, pending_secret, qr_svg, recovery_codes_left, use_recovery_code,
)

WRONG_CODE = "That code is not right, or it was used already. Enter the code your app shows now."


@bp.route("/two-step", methods=["GET", "POST"])
def second_step():
    record = g.get("signing_in")
    if record is None:  # already signed in
        return redirect(url_for("staff.inbox"))
    staff = record.staff
    form = SecondStepForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        attempt = counted_attempt(staff.email)
        by_app = accept_code(staff, form.code.data)
        if by_app or use_recovery_code(staff, form.code.data):
            attempt.succeeded()
            verify_session(record)
            if not by_app:
                flash(f"You signed in with a recovery code; {recovery_codes_left(staff)} are left. "
                      "If your phone is lost, ask an administrator to reset your two-step sign-in.")
            return signed_in(staff, form.next.data)
        current_app.logger.info("Wrong two-step code for staff %s", staff.id)
        form.code.errors.append(WRONG_CODE)
    return render_template("staff/second_step.html", form=form)


@bp.route("/two-step/set-up", methods=["GET", "POST"])
def two_step_setup():
    record = g.get("signing_in")
    if record is None:
        return redirect(url_for("staff.inbox"))
    staff = record.staff
    secret = pending_secret(staff)
    form = SetUpForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        attempt = counted_attempt(staff.email)
        codes = confirm_set_up(staff, form.code.data)
        if codes:
            attempt.succeeded()
            verify_session(record)
            note_sign_in(staff)
            db.session.commit()
            page = make_response(render_template("staff/recovery_codes.html", codes=codes,
                                                 next=safe_next(form.next.data)))
            return remember_device(page, staff.email)
        form.code.errors.append("That code does not match. Check the key was entered exactly, "
                                "then enter the code your app shows now.")
    db.session.commit()  # a key just made is kept before the page shows it, so a reload shows the same one
    return render_template("staff/two_step_setup.html", form=form, qr=qr_svg(staff, secret),
                           key=key_in_groups(secret), email=staff.email)
