"""Logging in and out, and changing your own password."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from booking.extensions import db, limiter
from booking.models import StaffUser, utcnow
from booking.staff.forms import ChangePasswordForm, LoginForm
from booking.staff.guard import bp

WRONG_LOGIN = "That email address and password do not match an active staff account."
# Checked against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"]


def _account_key() -> str:
    return "staff-login:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response) -> bool:
    """Only failed attempts count against the limits; a successful login redirects."""
    return response.status_code != 303


def _safe_next(target: str | None) -> str:
    """Only a path inside /staff, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/staff") and "\\" not in target:
            return target
    return url_for("staff.inbox")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.inbox"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        staff = db.session.execute(db.select(StaffUser).filter_by(email=email)).scalar_one_or_none()
        # The hash runs for every attempt, so an unknown or disabled account answers as slowly as an active one.
        if staff is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
            password_ok = False
        else:
            password_ok = staff.check_password(form.password.data)
        if staff is not None and staff.enabled and password_ok:
            session.clear()
            login_user(staff)
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without activity
            staff.last_login_at = utcnow()
            db.session.commit()
            current_app.logger.info("Staff %s logged in", staff.id)
            return redirect(_safe_next(form.next.data), 303)
        error = WRONG_LOGIN
        current_app.logger.info("Failed staff login")
    elif form.errors.get("csrf_token"):
        error = "This page had been open too long. Please log in again."
    return render_template("staff/login.html", form=form, error=error), 200, {"Cache-Control": "no-store"}


@bp.post("/logout")
def logout():
    current_app.logger.info("Staff %s logged out", current_user.id)
    logout_user()
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
            staff = current_user._get_current_object()
            staff.set_password(form.new_password.data)
            db.session.commit()
            login_user(staff)  # this session carries on; every other one ends
            current_app.logger.info("Staff %s changed their password", current_user.id)
            flash("Your password has been changed.")
            return redirect(url_for("staff.inbox"), 303)
    return render_template("staff/password.html", form=form)
