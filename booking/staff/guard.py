"""The door to /staff: every page needs a signed-in, enabled staff member; some need an administrator.

Signing in takes the password, then (with STAFF_REQUIRE_TOTP) an authenticator code. Between the two,
only the second step's page answers, and at the first sign-in only the set-up page: nothing else.

CSRF is not checked here: CSRFProtect checks every POST in the app (only the patient's form, which
checks its own token to keep the answers, is exempt)."""

from functools import wraps

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_login import current_user

from booking.extensions import login_manager
from booking.staff.operations.sessions import session_from_cookie, signed_in_staff

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The only pages under /staff a stranger may see: the login page, a practitioner's calendar feed, which
# calendar apps fetch without a session, and the one-time account set-up link (each one's unguessable,
# revocable token is the key). Everything else is refused by require_staff(), so a route added later is
# protected without anyone remembering to.
PUBLIC_ENDPOINTS = {"staff.login", "staff.calendar_feed", "staff.set_up_account"}
# Reachable only half-way through signing in, each in its own case.
SECOND_STEP = "staff.second_step"
SET_UP = "staff.two_step_setup"


@login_manager.request_loader
def load_staff(_request):
    """The cookie's token names a server-side session; a deleted or expired one signs nobody in."""
    return signed_in_staff()


@bp.before_request
def require_staff():
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    record = session_from_cookie()
    if record is None:
        return login_manager.unauthorized()
    wanted = SECOND_STEP if record.staff.has_two_step else SET_UP
    if request.endpoint != wanted:
        return redirect(url_for(wanted, next=request.args.get("next") or None))
    g.signing_in = record
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
