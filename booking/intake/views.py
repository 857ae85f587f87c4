"""The consultation request form and its confirmation page."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext

from sqlalchemy.exc import SQLAlchemyError
from wtforms.fields.choices import SelectChoice

from booking.appointments.availability import WeekOfTimes, active_practitioners, asked_week_of, week_of_times
from booking.appointments.emails import when
from booking.appointments.service import TIME_TAKEN, TimeTaken
from booking.extensions import csrf, db, limiter
from booking.i18n import current_language, select_locale
from booking.intake import blank_form
from booking.intake.forms import NO_TIME, ConsultationForm, new_submission_token
from booking.intake.service import ChosenTime, answers_from, find_by_reference, record_consultation_request
from booking.outbox.worker import wake_outbox_worker
from booking.signing import csrf_token

bp = Blueprint("intake", __name__, url_prefix="/consultation")


def submit_rate_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


def _offer_practitioners(form: ConsultationForm) -> None:
    """The practitioner choice, and whether the form asks for a time at all (only once one is bookable)."""
    practitioners = blank_form.practitioners(lambda: [(p.id, p.name) for p in active_practitioners()])
    form.practitioner.choices = [SelectChoice("", gettext("Any practitioner")),
                                 *(SelectChoice(str(pid), name) for pid, name in practitioners)]
    form.times_offered = bool(practitioners)
    if practitioners and request.method == "GET":
        form.practitioner.data = request.args.get("practitioner", "")


def _time_picker(form: ConsultationForm) -> WeekOfTimes | None:
    """The week of free times to show, read when the page is drawn (None with no bookable practitioner)."""
    if not form.times_offered:
        return None
    asked = asked_week_of(request.form if request.method == "POST" else request.args)
    return week_of_times(asked, form.chosen_practitioner(), language=current_language())


def _form_page(form: ConsultationForm, status: int = 200, **context):
    # Errors come back with 200, as browsers log any 4xx page as a console error.
    return _no_store(render_template("intake/form.html", form=form, week=_time_picker(form), **context), status)


def _posted_or_new_form() -> ConsultationForm:
    """The form with what was posted (if anything), a submission token, and the practitioners to choose from."""
    form = ConsultationForm()
    form.ensure_submission_token()
    _offer_practitioners(form)
    return form


def _blank_form_page():
    """A first visit: the blank form as this process last drew it (booking/intake/blank_form.py), own tokens in."""
    # Flask-Babel's own rule, asked directly: current_language() would build a Babel Locale, 5 % of this page.
    language = select_locale()
    drawn = blank_form.reusable(language)
    if drawn is None:
        since = blank_form.stamp(language)
        drawn = blank_form.keep(_draw_blank_form(), since)
    if drawn is None:  # the template lost a slot: draw this visitor's page the ordinary way
        return _form_page(_posted_or_new_form())
    return _no_store(drawn.fill(csrf_token(), new_submission_token()), 200)


def _draw_blank_form() -> str:
    form = ConsultationForm()
    _offer_practitioners(form)
    form.csrf_token.current_token = blank_form.CSRF_SLOT
    form.submission_token.data = blank_form.SUBMISSION_SLOT
    return render_template("intake/form.html", form=form, week=_time_picker(form))


@bp.get("")
def request_consultation():
    """The form: blank on a first visit, or another week or practitioner (?from=, ?practitioner=)."""
    if not request.args:
        return _blank_form_page()
    form = _posted_or_new_form()
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
            consultation, created = record_consultation_request(
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
        if created:
            wake_outbox_worker(current_app)
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
