"""The consultation request form and its confirmation page."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from sqlalchemy.exc import SQLAlchemyError

from booking.extensions import csrf, db, limiter
from booking.intake.forms import ConsultationForm
from booking.intake.service import answers_from, record_consultation_request
from booking.outbox.worker import wake_outbox_worker

bp = Blueprint("intake", __name__, url_prefix="/consultation")


def submit_rate_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


@bp.route("", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token, so an expired one re-shows the answers
@limiter.limit(submit_rate_limit, methods=["POST"])
def request_consultation():
    form = ConsultationForm()
    form.ensure_submission_token()
    if request.method == "POST":
        if form.leave_blank.data:
            current_app.logger.info("Dropped a submission that filled the honeypot field")
            session["sent_reference"] = None
            return redirect(url_for(".request_sent"), 303)
        if form.validate():
            try:
                consultation, created = record_consultation_request(answers_from(form))
            except SQLAlchemyError:
                # The database is unavailable: keep everything the patient typed on screen.
                db.session.rollback()
                current_app.logger.exception("Could not store a consultation request")
                page = render_template("intake/form.html", form=form, not_saved=True)
                return _no_store(page, 503)
            if created:
                wake_outbox_worker(current_app)
            session["sent_reference"] = consultation.reference
            return redirect(url_for(".request_sent"), 303)
    # Errors come back with 200, as browsers log any 4xx page as a console error.
    return _no_store(render_template("intake/form.html", form=form), 200)


@bp.get("/sent")
def request_sent():
    if "sent_reference" not in session:
        return redirect(url_for(".request_consultation"))
    return _no_store(render_template("intake/sent.html", reference=session["sent_reference"]), 200)


def _no_store(body: str, status: int):
    """Pages holding what a patient typed, or their reference, are kept out of every cache."""
    return body, status, {"Cache-Control": "no-store"}
