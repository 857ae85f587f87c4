"""Signing in (password first), signing out, and changing your own password."""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from booking.extensions import db
from booking.models import StaffUser
from booking.staff.forms import ChangePasswordForm, LoginForm
from booking.staff.guard import SECOND_STEP, SET_UP, bp
from booking.staff.operations.accounts import note_sign_in, staff_for_password
from booking.staff.operations.attempts import TooManyAttempts, begin_attempt
from booking.staff.operations.devices import device_of, remember_device
from booking.staff.operations.sessions import end_all_sessions, end_this_session, signed_in_staff, start_session

WRONG_LOGIN = "That email address and password do not match an active staff account."
AWAITS_SETUP = ("This account is waiting to be set up: use the one-time link we emailed you. If it has expired, "
                "ask an administrator to send another.")


def safe_next(target: str | None) -> str:
    """Only a path inside /staff, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/staff") and "\\" not in target:
            return target
    return url_for("staff.inbox")


def counted_attempt(account: str):
    """Count a sign-in attempt that passed CSRF and form checks; 429 when over a limit."""
    account = account.strip().lower()
    try:
        return begin_attempt(account, device_of(account))
    except TooManyAttempts:
        abort(429)


def signed_in(staff: StaffUser, next_path: str | None):
    """Note the sign-in, commit the sign-in's changes, trust this browser for the account, and go where the
    person was heading."""
    note_sign_in(staff)
    db.session.commit()
    return remember_device(redirect(safe_next(next_path), 303), staff.email)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.inbox"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        attempt = counted_attempt(email)
        staff = staff_for_password(email, form.password.data)
        if staff is not None and staff.awaits_setup:  # told only to whoever knows the password
            db.session.commit()  # a password hash made again at today's cost is kept
            return render_template("staff/login.html", form=form, error=AWAITS_SETUP), 200, {"Cache-Control": "no-store"}
        if staff is not None:
            attempt.succeeded()
            needs_code = staff.has_two_step or current_app.config["STAFF_REQUIRE_TOTP"]
            start_session(staff, verified=not needs_code)
            if not needs_code:
                return signed_in(staff, form.next.data)
            db.session.commit()
            step = SECOND_STEP if staff.has_two_step else SET_UP
            return redirect(url_for(step, next=form.next.data or None), 303)
        error = WRONG_LOGIN
        current_app.logger.info("Failed staff login")
    elif form.errors.get("csrf_token"):
        error = "This page had been open too long. Please log in again."
    return render_template("staff/login.html", form=form, error=error), 200, {"Cache-Control": "no-store"}


@bp.post("/logout")
def logout():
    current_app.logger.info("Staff %s logged out", current_user.id)
    end_this_session()  # the record goes, so a copy of the cookie is worth nothing
    db.session.commit()
    session.clear()
    flash("You have logged out.")
    return redirect(url_for("staff.login"), 303)


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            staff = signed_in_staff()
            staff.set_password(form.new_password.data)
            end_all_sessions(staff.id)
            start_session(staff, verified=True)  # this browser carries on; every other one is signed out
            db.session.commit()
            current_app.logger.info("Staff %s changed their password", staff.id)
            flash("Your password has been changed. You are signed out everywhere else.")
            return redirect(url_for("staff.inbox"), 303)
    return render_template("staff/password.html", form=form)
