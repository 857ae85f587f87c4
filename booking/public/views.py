"""The dry-needling information page, the privacy notice, and a health check for monitors."""

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy.exc import SQLAlchemyError

from booking.extensions import db
from booking.i18n import current_language
from booking.public.language_help import language_notices
from booking.public.page_cache import same_for_everyone
from booking.models import Practitioner, utcnow
from booking.outbox.admin import oldest_due_since

bp = Blueprint("public", __name__)


def rendered_once(template: str, *, keep_response: bool = True, key: tuple = (), **context) -> str:
    """A page that is the same for every visitor (no form, no token, no session), rendered once per process.

    Its words depend only on the template, the settings and the language, none of which change while the
    process runs; a deployment starts new processes. Rendering the info page costs milliseconds (each
    translated string goes through Flask-Babel), serving it from memory almost nothing. The whole response
    is then kept by booking.public.page_cache, which answers later visits before Flask is entered.
    """
    if keep_response:
        same_for_everyone()
    cache = current_app.extensions.setdefault("rendered_pages", {})
    key = (template, current_language(), key)
    if key not in cache:
        cache[key] = render_template(template, **context)
    return cache[key]


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
    """Drawn once per language and team; not kept whole, since the team changes on /staff/availability."""
    team = public_team()
    return rendered_once("public/dry_needling.html", keep_response=False, key=team, team=team)


@bp.get("/privacy")
def privacy():
    return rendered_once("public/privacy.html", retention_days=current_app.config["RETENTION_DAYS"])


@bp.get("/language-help")
def language_help():
    """The notice that language help is free, in English, Spanish and each language the clinic lists."""
    notices = language_notices(current_app.config["LANGUAGE_ASSISTANCE"], current_app.config["CLINIC_PHONE"])
    return rendered_once("public/language_help.html", notices=notices)


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
