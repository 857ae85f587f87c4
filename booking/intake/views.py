"""The consultation request form and its confirmation page."""

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext

from sqlalchemy.exc import SQLAlchemyError
from wtforms.fields.choices import SelectChoice

from booking.appointments.availability import WeekOfTimes, active_practitioners, week_of_times
from booking.appointments.emails import when
from booking.appointments.service import TimeTaken
from booking.extensions import csrf, db, limiter
from booking.i18n import current_language
from booking.intake.forms import NO_TIME, TIME_TAKEN, ConsultationForm
from booking.intake.service import ChosenTime, answers_from, find_by_reference, record_consultation_request
from booking.outbox.worker import wake_outbox_worker

bp = Blueprint("intake", __name__, url_prefix="/consultation")


def submit_rate_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


def _asked_day(text: str | None) -> date | None:
    """?from=YYYY-MM-DD, or a week button's value; anything else means the first bookable week."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _time_picker(form: ConsultationForm) -> WeekOfTimes | None:
    """The week of free times to show (None when the clinic has no bookable practitioner yet)."""
    practitioners = active_practitioners()
    form.practitioner.choices = [SelectChoice("", gettext("Any practitioner")),
                                 *(SelectChoice(str(p.id), p.name) for p in practitioners)]
    form.times_offered = bool(practitioners)
    if not practitioners:
        return None
    if request.method == "GET":
        form.practitioner.data = request.args.get("practitioner", "")
    asked = request.form.get("show_week") if request.method == "POST" else request.args.get("from")
    return week_of_times(_asked_day(asked), form.chosen_practitioner(), language=current_language())


def _form_page(form: ConsultationForm, week: WeekOfTimes | None, status: int = 200, **context):
    # Errors come back with 200, as browsers log any 4xx page as a console error.
    return _no_store(render_template("intake/form.html", form=form, week=week, **context), status)


@bp.route("", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token, so an expired one re-shows the answers
@limiter.limit(submit_rate_limit, methods=["POST"])
def request_consultation():
    form = ConsultationForm()
    form.ensure_submission_token()
    week = _time_picker(form)
    if request.method == "POST":
        if form.leave_blank.data:
            current_app.logger.info("Dropped a submission that filled the honeypot field")
            session["sent_reference"] = None
            return redirect(url_for(".request_sent"), 303)
        if "show_week" in request.form:  # another week or practitioner: show it, keeping every answer
            return _form_page(form, week)
        if form.validate():
            start = form.chosen_start()
            chosen = ChosenTime(start, form.chosen_practitioner()) if start else None
            try:
                consultation, created = record_consultation_request(
                    answers_from(form), chosen, waitlist=form.slot.data == NO_TIME and bool(form.waitlist.data))
            except TimeTaken:
                db.session.rollback()
                form.slot.errors = [gettext(TIME_TAKEN)]
                form.slot.data = None
                return _form_page(form, _time_picker(form))
            except SQLAlchemyError:
                # The database is unavailable: keep everything the patient typed on screen.
                db.session.rollback()
                current_app.logger.exception("Could not store a consultation request")
                return _form_page(form, week, 503, not_saved=True)
            if created:
                wake_outbox_worker(current_app)
            session["sent_reference"] = consultation.reference
            return redirect(url_for(".request_sent"), 303)
    return _form_page(form, week)


@bp.get("/sent")
def request_sent():
    if "sent_reference" not in session:
        return redirect(url_for(".request_consultation"))
    reference = session["sent_reference"]
    consultation = find_by_reference(reference) if reference else None
    appointment = consultation.appointment if consultation is not None else None
    return _no_store(render_template("intake/sent.html", reference=reference, appointment=appointment,
                                     when=when(appointment, current_language()) if appointment else None), 200)


def _no_store(body: str, status: int):
    """Pages holding what a patient typed, or their reference, are kept out of every cache."""
    return body, status, {"Cache-Control": "no-store"}
