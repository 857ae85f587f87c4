"""Accounts by invitation: a one-time link by email, where the person chooses their own password and sets up
two-step sign-in. An administrator adds someone by email, or resets their two-step; nobody else ever sees or
sets their password. Until the link is used the account cannot sign in.

The link's token is random (256 bits); the account keeps only its SHA-256, and the outbox row that mails it
keeps it encrypted under SECRET_KEY (as the two-step keys are), since the email is built when it is sent.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.logs import log_on_commit
from booking.models import RecoveryCode, StaffEvent, StaffUser, utcnow
from booking.outbox.queue import enqueue
from booking.staff.operations.accounts import StaffExists
from booking.staff.operations.sessions import end_all_sessions
from booking.staff.operations.two_step import confirm_set_up, encrypt_secret, pending_secret
from booking.states import StaffAction

STAFF_SETUP_LINK = "staff_setup_link"
# No password hash matches this: an invited account has no password until its owner chooses one.
NO_PASSWORD = "!"


def link_hash(token: str) -> str:
    """What the account keeps of its set-up link."""
    return hashlib.sha256(token.encode()).hexdigest()


def send_setup_link(staff: StaffUser, reason: str) -> None:
    """A new one-time link for `staff` (replacing any earlier one), mailed through the outbox; the caller commits.

    `reason` is "invite" or "reset": it chooses the email's words.
    """
    token = secrets.token_urlsafe(32)
    staff.setup_token_hash = link_hash(token)
    staff.setup_expires_at = utcnow() + timedelta(hours=current_app.config["STAFF_INVITE_HOURS"])
    db.session.flush()
    enqueue(STAFF_SETUP_LINK, payload={"staff_id": staff.id, "reason": reason, "token": encrypt_secret(token)})


def invite(email: str, is_admin: bool, by: StaffUser) -> StaffUser:
    """A new account with no password, and its owner's invitation queued; the caller commits both at once."""
    staff = StaffUser(email=email.strip().lower(), is_admin=is_admin, password_hash=NO_PASSWORD)
    db.session.add(staff)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise StaffExists(staff.email) from None
    send_setup_link(staff, "invite")
    log_on_commit(db.session, "Staff account %s invited by staff %s (admin: %s)", staff.id, by.id, is_admin)
    return staff


def reset_by_link(staff: StaffUser, by: StaffUser) -> None:
    """Lost phone: the key, recovery codes and sessions go; the account is closed until its owner uses the new link.

    The history line, the link's email and the ended sessions are the caller's one commit."""
    staff.totp_secret = None
    staff.totp_confirmed_at = None
    staff.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    db.session.add(StaffEvent(staff_id=staff.id, by_id=by.id, action=StaffAction.TWO_STEP_RESET))
    send_setup_link(staff, "reset")
    end_all_sessions(staff.id)
    log_on_commit(db.session, "Two-step sign-in of staff %s reset by staff %s; set-up link sent", staff.id,
                  by.id)


def staff_for_link(token: str) -> StaffUser | None:
    """The enabled account a set-up link is for, while it is unused and unexpired; None otherwise."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    staff = db.session.execute(
        db.select(StaffUser).where(StaffUser.setup_token_hash == link_hash(token))).scalar_one_or_none()
    if staff is None or not staff.enabled or staff.setup_expires_at is None or staff.setup_expires_at <= utcnow():
        return None
    return staff


def setup_key(staff: StaffUser) -> str:
    """The authenticator key the set-up page shows: the same one until confirmed."""
    return pending_secret(staff)


def finish_setup(staff: StaffUser, token: str, password: str, code: str) -> list[str] | None:
    """The owner's password and first code: the link is spent, the account opens; returns the recovery codes.

    None when the link was spent meanwhile or the code does not match (then nothing changes). The link is
    spent by one conditional UPDATE, so of two tabs posting at once only one sets a password; the caller's
    commit keeps the spending, the password and the two-step set-up together. A refusal rolls back what this
    began, so a later commit cannot spend the link.
    """
    spent = db.session.execute(
        db.update(StaffUser).where(StaffUser.id == staff.id, StaffUser.setup_token_hash == link_hash(token))
        .values(setup_token_hash=None, setup_expires_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        db.session.rollback()
        return None
    staff.set_password(password)
    codes = confirm_set_up(staff, code)
    if codes is None:
        db.session.rollback()
        return None
    end_all_sessions(staff.id)
    log_on_commit(db.session, "Staff %s chose a password and set up two-step sign-in from their link",
                  staff.id)
    return codes
