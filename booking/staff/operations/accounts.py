"""Staff accounts: made by the operator (`flask create-staff`; the team page invites instead, invitations.py),
and the password step of signing in, which costs the same whether or not the account exists."""

from functools import cache

from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from booking.extensions import db
from booking.logs import log_on_commit
from booking.models import StaffUser, utcnow
from booking.models.staff import PASSWORD_METHOD, password_method

# Checked against when the email is unknown, so both failures take the same time. Made once with
# generate_password_hash("not-a-real-password", method=PASSWORD_METHOD) and kept as text: made on import, it
# cost every process (each gunicorn worker, each flask command, the mail worker) half a second of scrypt.
# Its salt guards nothing. tests/test_staff_login.py checks it still uses PASSWORD_METHOD's cost.
_DUMMY_HASH = ("scrypt:131072:8:1$LDvrmi8ySmUxtopP$5d2cd48ceac2171887e9f812d16c88161d745c32e2edb573546585f599d3f17d"
               "4c91bdc12ac94e743f4bdce614905b1c088c835dafed93133ba085e9584ed36e")


@cache
def _dummy_hash(method: str) -> str:
    """The kept text for production's cost; made once per process for another (the tests' cheap one)."""
    if method == PASSWORD_METHOD:
        return _DUMMY_HASH
    return generate_password_hash("not-a-real-password", method=method)


class StaffExists(ValueError):
    """There is already an account with that email address."""


def create_staff(email: str, password: str, is_admin: bool = False) -> StaffUser:
    """The one place a staff account is made; the caller commits. The unique email refuses a second one."""
    staff = StaffUser(email=email.strip().lower(), is_admin=is_admin)
    staff.set_password(password)
    db.session.add(staff)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise StaffExists(staff.email) from None
    log_on_commit(db.session, "Staff account %s created (admin: %s)", staff.id, is_admin)
    return staff


def staff_for_password(email: str, password: str) -> StaffUser | None:
    """The enabled account with this email and password; the hash runs even for an unknown email.

    An old-cost hash is replaced, saved with the caller's commit."""
    staff = db.session.execute(db.select(StaffUser).filter_by(email=email)).scalar_one_or_none()
    if staff is None:
        check_password_hash(_dummy_hash(password_method()), password)
        return None
    if not staff.check_password(password) or not staff.enabled:
        return None
    if staff.password_needs_rehash:
        staff.set_password(password)
    return staff


def note_sign_in(staff: StaffUser) -> None:
    """Both steps done: the team page shows when, the log says who; the caller commits."""
    staff.last_login_at = utcnow()
    log_on_commit(db.session, "Staff %s logged in", staff.id)
