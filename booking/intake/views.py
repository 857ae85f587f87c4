"""The consultation request form and its confirmation page."""

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext

from sqlalchemy.exc import SQLAlchemyError
from wtforms.fields.choices import SelectChoice

from booking.appointments.operations import TIME_TAKEN, TimeTaken
from booking.appointments.queries import WeekOfTimes, asked_week_of, bookable_names, week_of_times
from booking.extensions import csrf, db, limiter
from booking.formatting import when
from booking.i18n import current_language
from booking.intake.deep_link import read_deep_link
from booking.intake.forms import NO_TIME, ConsultationForm
from booking.intake.operations import ChosenTime, answers_from, find_by_reference, record_consultation_request

bp = Blueprint("intake", __name__, url_prefix="/consultation")


def submit_rate_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


def _offer_practitioners(form: ConsultationForm) -> None:
    """The practitioner choice, and whether the form asks for a time at all (only once one is bookable)."""
    practitioners = bookable_names()
    form.practitioner.choices = [SelectChoice("", gettext("Any practitioner")),
                                 *(SelectChoice(str(pid), name) for pid, name in practitioners)]
    form.times_offered = bool(practitioners)
    if practitioners and request.method == "GET":
        form.practitioner.data = request.args.get("practitioner", "")


def _time_picker(form: ConsultationForm, first_day: date | None = None) -> WeekOfTimes | None:
    """The week of free times to show, read when the page is drawn (None with no bookable practitioner)."""
    if not form.times_offered:
        return None
    asked = asked_week_of(request.form if request.method == "POST" else request.args)
    return week_of_times(first_day or asked, form.chosen_practitioner(), language=current_language())


def _form_page(form: ConsultationForm, status: int = 200, first_day: date | None = None, **context):
    # Errors come back with 200, as browsers log any 4xx page as a console error.
    week = _time_picker(form, first_day)
    return _no_store(render_template("intake/form.html", form=form, week=week, **context), status)


def _deep_link_page(form: ConsultationForm):
    """?slot=...&practitioner=...: the form with that time chosen if it is free, else the nearest free times."""
    if not form.times_offered:
        return _form_page(form)
    if form.practitioner.data not in {choice.value for choice in form.practitioner.choices}:
        form.practitioner.data = ""  # one no longer offered: look for the time with anyone
    link = read_deep_link(request.args.get("slot"), form.chosen_practitioner(), current_language())
    if link.chosen is not None:
        form.slot.data = link.chosen.value
    return _form_page(form, first_day=link.week, deep_link=link)


def _posted_or_new_form() -> ConsultationForm:
    """The form with what was posted (if anything), a submission token, and the practitioners to choose from."""
    form = ConsultationForm()
    form.ensure_submission_token()
    _offer_practitioners(form)
    return form


@bp.get("")
def request_consultation():
    """The form: blank on a first visit, another week or practitioner (?from=, ?practitioner=), or one time (?slot=).

    Drawn for every visit: it carries the visitor's own tokens and the free times as the database has them
    now, so a time taken on any server is gone from every server's form at the next view.
    """
    form = _posted_or_new_form()
    if "slot" in request.args:
        return _deep_link_page(form)
    return _form_page(form)


@bp.post("")
@csrf.exempt  # the form checks its own CSRF token, so an expired one re-shows the answers
@limiter.limit(submit_rate_limit, exempt_when=lambda: "show_week" in request.form)  # a redraw stores nothing
def send_consultation_request():
    form = _posted_or_new_form()
    if form.leave_blank.data:
        current_app.logger.info("Dropped a submission that filled the honeypot field")
        session["sent_reference"] = None
        return redirect(url_for(".request_sent"), 303)
    if "show_week" in request.form:  # another week or practitioner: show it, keeping every answer
        return _form_page(form)
    if form.validate():
        start = form.chosen_start()
        chosen = ChosenTime(start, form.chosen_practitioner()) if start else None
        try:
            consultation, _created = record_consultation_request(
                answers_from(form), chosen, waitlist=form.slot.data == NO_TIME and bool(form.waitlist.data))
        except TimeTaken:
            db.session.rollback()
            form.slot.errors = [gettext(TIME_TAKEN)]
            form.slot.data = None
            return _form_page(form)
        except SQLAlchemyError:
            # The database is unavailable: keep everything the patient typed on screen.
            db.session.rollback()
            current_app.logger.exception("Could not store a consultation request")
            return _form_page(form, 503, not_saved=True)
        session["sent_reference"] = consultation.reference
        return redirect(url_for(".request_sent"), 303)
    return _form_page(form)


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
