"""The dry-needling information page and the privacy notice."""

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def dry_needling():
    return render_template("public/dry_needling.html")


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html")
