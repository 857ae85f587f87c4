"""The consent at the front desk, on the staff blueprint (so its sign-in guard covers every route here):
the signed PDF, "Reviewed with the patient", the blank form for walk-ins, and a practitioner's training."""

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from booking.consent import operations
from booking.consent.queries import consent_rows, consent_state, state_of
from booking.consent.text import LANGUAGES, consent_text
from booking.extensions import db
from booking.i18n import in_language
from booking.models import Appointment, ConsentRecord, ConsultationRequest, Practitioner
from booking.staff.guard import admin_required, bp
from booking.staff.queries import find_request
from booking.states import ConsentAction, ConsentState

TRAINING_MAX = 1000


@bp.app_template_global()
def consent_of(consultation: ConsultationRequest) -> dict | None:
    """What the request page shows of the consent: its state, the rows (newest first), who reviewed it."""
    appointment = consultation.appointment
    if appointment is None:
        return None
    rows = consent_rows(appointment)
    signed = [row for row in rows if row.action is ConsentAction.SIGNED]
    return {"state": state_of(rows[-1] if rows else None), "rows": list(reversed(rows)),
            "latest_signed": signed[-1] if signed else None}


@bp.app_template_global()
def consent_state_of(appointment: Appointment) -> ConsentState:
    return consent_state(appointment)


def _pdf(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})


def _consultation(reference: str) -> ConsultationRequest:
    consultation = find_request(reference)
    if consultation is None or consultation.appointment is None:
        abort(404)
    return consultation


@bp.get("/requests/<reference>/consent.pdf")
def consent_pdf(reference: str):
    """The latest signature as the patient signed it (a later withdrawal is on the request page)."""
    consultation = _consultation(reference)
    record = db.session.execute(
        db.select(ConsentRecord).where(ConsentRecord.appointment_id == consultation.appointment.id,
                                       ConsentRecord.action == ConsentAction.SIGNED)
        .order_by(ConsentRecord.id.desc()).limit(1)
    ).scalar_one_or_none()
    if record is None:
        abort(404)
    from booking.consent.pdf import signed_pdf  # see booking/consent/pdf.py: imported where a PDF is drawn

    with in_language(record.language):
        body = signed_pdf(record)
    current_app.logger.info("Consent PDF of request %s opened by staff %s", reference, current_user.id)
    return _pdf(body, f"consent-{consultation.reference}.pdf")


@bp.post("/requests/<reference>/consent/reviewed")
def consent_reviewed(reference: str):
    consultation = _consultation(reference)
    try:
        operations.mark_reviewed(consultation.appointment, current_user)
    except operations.NotAllowed as exc:
        flash(str(exc))
    else:
        db.session.commit()
        flash("Recorded: consent reviewed with the patient.")
    return redirect(url_for("staff.request_detail", reference=consultation.reference), 303)


@bp.get("/consent/blank.pdf")
def blank_consent_pdf():
    """The current text, to print and sign on paper; ?language=es for Spanish, ?practitioner=<id> for their training."""
    language = request.args.get("language", "en")
    language = language if language in LANGUAGES else "en"
    practitioner_id = request.args.get("practitioner", "")
    practitioner = db.session.get(Practitioner, int(practitioner_id)) if practitioner_id.isdigit() else None
    from booking.consent.pdf import blank_pdf  # see booking/consent/pdf.py: imported where a PDF is drawn

    with in_language(language):
        body = blank_pdf(consent_text(language, practitioner))
    return _pdf(body, f"dry-needling-consent-{language}.pdf")


@bp.post("/availability/<int:practitioner_id>/training")
@admin_required
def practitioner_training(practitioner_id: int):
    """The training statement the consent text shows for this practitioner; empty clears it."""
    practitioner = db.session.get(Practitioner, practitioner_id) or abort(404)
    statement = " ".join((request.form.get("training") or "").split())
    if len(statement) > TRAINING_MAX:
        flash(f"Not saved: keep the training statement to {TRAINING_MAX} characters.")
    else:
        practitioner.dry_needling_training = statement or None
        db.session.commit()
        current_app.logger.info("Dry-needling training statement of practitioner %s changed by staff %s",
                                practitioner.id, current_user.id)
        flash(f"Saved {practitioner.name}'s dry-needling training statement.")
    return redirect(url_for("staff.availability") + f"#practitioner-{practitioner.id}", 303)
