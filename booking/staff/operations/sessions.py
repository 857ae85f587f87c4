"""Server-side staff sessions: the cookie carries a random token; the database says whether it still counts.

Starting, verifying and ending sessions change rows in the caller's transaction; the view commits. Only reading
the cookie commits by itself (an expired record deleted, activity noted), since a page that only reads commits
nothing.

Ending a session deletes its row, so a copied cookie dies with it. Sessions end after
PERMANENT_SESSION_LIFETIME without activity (STAFF_SESSION_HOURS) and STAFF_SESSION_MAX_HOURS after sign-in.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, request, session

from booking.extensions import db
from booking.models import StaffSession, StaffUser, utcnow
from booking.models.staff import USER_AGENT_MAX

COOKIE_KEY = "staff_session"
# Between the password and the authenticator code: long enough to find the phone, no longer.
SECOND_STEP_MINUTES = 10


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(staff: StaffUser, verified: bool) -> StaffSession:
    """A new record for this browser, replacing whatever it carried (no session fixation); the caller commits."""
    end_this_session()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = StaffSession(
        token_hash=_hash(token), staff_id=staff.id, created_at=now, last_seen_at=now,
        verified_at=now if verified else None, address=(request.remote_addr or "")[:45],
        user_agent=request.user_agent.string[:USER_AGENT_MAX],
    )
    db.session.add(record)
    session.clear()
    session[COOKIE_KEY] = token
    session.permanent = True  # the browser forgets it after the idle limit too
    g.staff_session = record
    return record


def verify_session(record: StaffSession) -> None:
    """The second step is done: this browser is signed in, for the full limits from now, under a new token,
    so a cookie copied between the two steps (or before a privilege change) signs nobody in."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    record.token_hash = _hash(token)
    record.verified_at = record.created_at = record.last_seen_at = now
    session[COOKIE_KEY] = token


@dataclass(frozen=True)
class _Cutoffs:
    """A session's limits as moments: one that started or was last seen before them has ended."""

    second_step: datetime  # started before this and still waiting for its code
    idle: datetime  # last seen before this
    signed_in: datetime  # started before this, however active since


def _cutoffs(now: datetime) -> _Cutoffs:
    config = current_app.config
    return _Cutoffs(second_step=now - timedelta(minutes=SECOND_STEP_MINUTES),
                    idle=now - config["PERMANENT_SESSION_LIFETIME"],
                    signed_in=now - timedelta(hours=config["STAFF_SESSION_MAX_HOURS"]))


def _expired(record: StaffSession, now: datetime) -> bool:
    cut = _cutoffs(now)
    if record.verified_at is None:
        return record.created_at < cut.second_step
    return record.last_seen_at < cut.idle or record.created_at < cut.signed_in


def session_from_cookie() -> StaffSession | None:
    """This browser's live session record (signed in or half-way), or None; expired ones are deleted."""
    if "staff_session" in g:
        return g.staff_session
    g.staff_session = None
    token = session.get(COOKIE_KEY)
    if not isinstance(token, str):
        return None
    record = db.session.execute(
        db.select(StaffSession).filter_by(token_hash=_hash(token))
    ).scalar_one_or_none()
    if record is None:
        return None
    now = utcnow()
    if _expired(record, now) or not record.staff.enabled:
        db.session.delete(record)
        db.session.commit()  # the point: read at the start of any page, most of which commit nothing
        return None
    _touch(record, now)
    g.staff_session = record
    return record


def _touch(record: StaffSession, now) -> None:
    """Record activity, at most every minute (or a quarter of the idle limit), not on every request."""
    idle = current_app.config["PERMANENT_SESSION_LIFETIME"]
    if now - record.last_seen_at >= min(timedelta(minutes=1), idle / 4):
        record.last_seen_at = now
        db.session.commit()  # the point: the idle limit counts from here, and most pages commit nothing


def signed_in_staff() -> StaffUser | None:
    """Flask-Login's request loader: the staff member whose verified session this browser carries."""
    record = session_from_cookie()
    if record is None or record.verified_at is None:
        return None
    return record.staff


def end_this_session() -> None:
    """This browser's record goes (with the caller's commit) and the cookie forgets its token."""
    token = session.get(COOKIE_KEY)
    if isinstance(token, str):
        db.session.execute(db.delete(StaffSession).where(StaffSession.token_hash == _hash(token)))
    session.pop(COOKIE_KEY, None)
    g.pop("staff_session", None)


def end_all_sessions(staff_id: int) -> int:
    """Every browser this person is signed in on is signed out at its next request (after the caller's commit)."""
    ended = db.session.execute(db.delete(StaffSession).where(StaffSession.staff_id == staff_id)).rowcount
    return ended


def end_one_session(staff_id: int, session_id: int) -> bool:
    """Only one's own sessions can be ended from the sessions page."""
    ended = db.session.execute(
        db.delete(StaffSession).where(StaffSession.id == session_id, StaffSession.staff_id == staff_id)
    ).rowcount
    return ended == 1


def sweep_expired_sessions() -> int:
    """Delete every session past its limits, even one whose browser never came back (the purge runs this)."""
    cut = _cutoffs(utcnow())
    ended = db.session.execute(db.delete(StaffSession).where(db.or_(
        db.and_(StaffSession.verified_at.is_(None), StaffSession.created_at < cut.second_step),
        StaffSession.last_seen_at < cut.idle,
        StaffSession.created_at < cut.signed_in,
    ))).rowcount
    return ended


def active_sessions(staff_id: int) -> list[StaffSession]:
    now = utcnow()
    records = db.session.execute(
        db.select(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.verified_at.is_not(None))
        .order_by(StaffSession.last_seen_at.desc())
    ).scalars().all()
    return [record for record in records if not _expired(record, now)]
