"""The patient's consent page, /appointment/<token>/consent: GET shows, POST signs, POST .../withdraw withdraws.

The manage link's token is the key (booking.appointments.links.appointment_for resolves it), so the page
needs no login and shows nothing to anyone without the link.
"""

from flask import (Blueprint, abort, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from booking.appointments.links import appointment_for
from booking.consent import operations
from booking.consent.forms import ConsentForm, WithdrawForm
from booking.consent.queries import consent_state, signed_consent
from booking.consent.text import blocks, consent_text
from booking.extensions import csrf, db
from booking.formatting import when
from booking.i18n import current_language
from booking.models import Appointment
from booking.states import ConsentState

bp = Blueprint("consent", __name__, url_prefix="/appointment")

CONFLICT = 409


@bp.after_request
def keep_link_private(response):
    """The token in the address is the key: no cache keeps the page, no index lists it, no Referer leaks it."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _appointment(token: str) -> Appointment:
    """Forged, mistyped or past its end: the same page the appointment link shows, never a hint which."""
    appointment = appointment_for(token)
    if appointment is None:
        abort(make_response(render_template("appointments/not_found.html"), 404))
    return appointment


def _page(appointment: Appointment, token: str, form: ConsentForm, status: int = 200):
    shown = consent_text(current_language(), appointment.practitioner)
    state = consent_state(appointment)
    return render_template(
        "consent/sign.html", appointment=appointment, token=token, form=form, withdraw_form=WithdrawForm(),
        when=when(appointment, current_language()), shown=shown, blocks=blocks(shown.text), state=state,
        States=ConsentState, signed=signed_consent(appointment), can_sign=operations.can_sign(appointment),
    ), status


@bp.get("/<token>/consent")
def sign_page(token: str):
    appointment = _appointment(token)
    form = ConsentForm(formdata=None, data={"screening": appointment.consultation_request.raised_flags})
    return _page(appointment, token, form)


@bp.post("/<token>/consent")
@csrf.exempt  # the form checks its own CSRF token, so an expired one re-shows the answers with a message
def sign(token: str):
    appointment = _appointment(token)
    form = ConsentForm()
    form.name_on_file = appointment.consultation_request.name
    if not operations.can_sign(appointment):
        return _page(appointment, token, form, CONFLICT)
    if not form.validate():
        return _page(appointment, token, form)
    try:
        record = operations.sign(
            appointment, language=current_language(), screening=form.screening.data or [],
            statements=form.confirmed_statements(), typed_name=form.full_name.data,
            address=request.remote_addr or "", user_agent=request.user_agent.string,
        )
        db.session.commit()
    except (operations.AlreadySigned, IntegrityError):
        db.session.rollback()  # a second press of Sign: the first one's signature stands, and the page shows it
        return redirect(url_for(".sign_page", token=token), 303)
    if record.flagged:
        flash(gettext("Thank you: your consent is signed. Because you answered yes to a safety question, your "
                      "therapist will talk it through with you before any needling. We have emailed you a copy."))
    else:
        flash(gettext("Thank you: your consent is signed. We have emailed you a copy."))
    return redirect(url_for(".sign_page", token=token), 303)


@bp.post("/<token>/consent/withdraw")
def withdraw(token: str):
    appointment = _appointment(token)
    try:
        operations.withdraw(appointment, address=request.remote_addr or "", user_agent=request.user_agent.string)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # withdrawn by a twin press a moment ago
        return redirect(url_for(".sign_page", token=token), 303)
    except operations.NotAllowed:
        db.session.rollback()
        form = ConsentForm(formdata=None, data={"screening": appointment.consultation_request.raised_flags})
        return _page(appointment, token, form, CONFLICT)
    flash(gettext("Your consent is withdrawn, and we have told the clinic. You can sign again here at any time."))
    return redirect(url_for(".sign_page", token=token), 303)
