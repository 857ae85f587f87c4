"""The dry-needling information page, the privacy notice, and a health check for monitors."""

from flask import Blueprint, current_app, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from booking.extensions import db
from booking.public.language_help import language_notices

bp = Blueprint("public", __name__)


@bp.get("/")
def dry_needling():
    return render_template("public/dry_needling.html")


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html", retention_days=current_app.config["RETENTION_DAYS"])


@bp.get("/language-help")
def language_help():
    """The notice that language help is free, in English, Spanish and each language the clinic lists."""
    notices = language_notices(current_app.config["LANGUAGE_ASSISTANCE"], current_app.config["CLINIC_PHONE"])
    return render_template("public/language_help.html", notices=notices)


@bp.get("/healthz")
def health():
    """For an uptime monitor or load balancer: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Health check: the database did not answer")
        return "database unavailable\n", 503, {"Content-Type": "text/plain", "Cache-Control": "no-store"}
    return "ok\n", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}
