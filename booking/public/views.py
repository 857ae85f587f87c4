"""The dry-needling information page, the privacy notice, and a health check for monitors."""

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy.exc import SQLAlchemyError

from booking.extensions import db
from booking.public.clinic_schema import clinic_json_ld
from booking.public.language_help import language_notices
from booking.public.page_cache import same_for_everyone
from booking.models import Practitioner, utcnow
from booking.outbox.admin import oldest_due_since

bp = Blueprint("public", __name__)


def page_for_everyone(template: str, while_same=None, drawn_with=None, **context) -> str:
    """A page with no form, token, session or visitor in it, which the page cache may keep for its path
    (while `while_same()` still gives `drawn_with`, for a page drawn from the database).

    Its template may read only the settings, the language, the path and its context (tests/test_page_cache.py
    renders each with session, user, CSRF token and request made unreadable).
    """
    same_for_everyone(while_same, drawn_with)
    return render_template(template, **context)


def public_team() -> tuple[tuple[str, str | None, str | None], ...]:
    """Who patients may see: each active practitioner's name, title and bio (nothing if the database is away)."""
    try:
        rows = db.session.execute(db.select(Practitioner.name, Practitioner.public_title, Practitioner.bio)
                                  .where(Practitioner.active.is_(True)).order_by(Practitioner.name))
        return tuple(tuple(row) for row in rows)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Could not read the team for the information page")
        return ()


@bp.get("/")
def dry_needling():
    """Kept whole while the team on it is the same: each visit reads the team, which administrators change
    on /staff/availability on any server, and a change shows at the next view."""
    team = public_team()
    return page_for_everyone("public/dry_needling.html", while_same=public_team, drawn_with=team,
                             clinic_json_ld=clinic_json_ld(), team=team)


@bp.get("/privacy")
def privacy():
    return page_for_everyone("public/privacy.html", retention_days=current_app.config["RETENTION_DAYS"])


@bp.get("/language-help")
def language_help():
    """The notice that language help is free, in English, Spanish and each language the clinic lists."""
    notices = language_notices(current_app.config["LANGUAGE_ASSISTANCE"], current_app.config["CLINIC_PHONE"])
    return page_for_everyone("public/language_help.html", notices=notices)


@bp.get("/healthz")
def health():
    """For a monitor: does the database answer, and how long has the oldest due email waited? Nothing else."""
    try:
        since = oldest_due_since()
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("Health check: the database did not answer (%s)", type(exc).__name__)
        answer, status = {"database": "unavailable", "oldest_undelivered_email_seconds": None}, 503
    else:
        waited = 0 if since is None else max(0, int((utcnow() - since).total_seconds()))
        answer, status = {"database": "ok", "oldest_undelivered_email_seconds": waited}, 200
    response = jsonify(answer)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
