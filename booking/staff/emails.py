"""The staff side's email, registered with the outbox: the one-time set-up link of an invitation or a reset."""

from flask import current_app, render_template, url_for
from flask_mail import Message

from booking.extensions import db
from booking.models import Notification, StaffUser
from booking.outbox.registry import register_email
from booking.staff.operations.invitations import STAFF_SETUP_LINK, link_hash
from booking.staff.operations.two_step import decrypt_with_fallbacks


def setup_link_email(notification: Notification) -> Message | None:
    """The one-time link, to the person alone; nothing once it was used, replaced or the account disabled."""
    staff = db.session.get(StaffUser, notification.payload.get("staff_id") or 0)
    if staff is None or not staff.enabled or staff.setup_token_hash is None:
        return None
    token = decrypt_with_fallbacks(notification.payload.get("token", ""))
    if token is None or link_hash(token) != staff.setup_token_hash:
        return None  # a later link replaced this one
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        link = url_for("staff.set_up_account", token=token, _external=True)  # built outside any request
    context = {"link": link, "reason": notification.payload["reason"],
               "hours": current_app.config["STAFF_INVITE_HOURS"], "clinic": current_app.config["CLINIC_NAME"]}
    subject = ("Set up your staff account" if context["reason"] == "invite"
               else "Set up two-step sign-in again")
    return Message(subject=f"{subject}: {context['clinic']}", recipients=[staff.email],
                   body=render_template("email/staff_setup_link.txt", **context),
                   html=render_template("email/staff_setup_link.html", **context))


def register_emails() -> None:
    register_email(STAFF_SETUP_LINK, setup_link_email)
