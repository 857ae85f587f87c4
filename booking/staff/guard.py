"""The door to /staff: every page needs a logged-in, enabled staff member; some need an administrator.

CSRF is not checked here: CSRFProtect checks every POST in the app (only the patient's form, which
checks its own token to keep the answers, is exempt)."""

from functools import wraps

from flask import Blueprint, abort, request
from flask_login import current_user

from booking.extensions import db, login_manager
from booking.models import StaffUser

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The only pages under /staff a stranger may see: the login page, and a practitioner's calendar feed,
# which calendar apps fetch without a session (its unguessable, revocable token is the key). Everything
# else is refused by require_staff(), so a route added later is protected without anyone remembering to.
PUBLIC_ENDPOINTS = {"staff.login", "staff.calendar_feed"}


@login_manager.user_loader
def load_staff(session_id: str) -> StaffUser | None:
    """A disabled account's sessions, and those from before a password change, stop at the next request."""
    staff_id, _, fingerprint = session_id.partition(".")
    if not staff_id.isdigit():
        return None
    staff = db.session.get(StaffUser, int(staff_id))
    if staff is None or not staff.enabled or staff.password_fingerprint != fingerprint:
        return None
    return staff


@bp.before_request
def require_staff():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def keep_out_of_caches(response):
    """Staff pages carry patients' health details: no browser or proxy may store them, no search engine list them."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def admin_required(view):
    """For team management, practitioners' availability, CSV export and erasure."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
