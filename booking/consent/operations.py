"""What a patient and staff do with a consent: sign, withdraw, mark reviewed at the visit.

Each writes its row, the request's history line and the emails it owes in the caller's transaction; the
view commits once. Consent rows are only ever added.
"""

from booking.consent import emails
from booking.consent.queries import signed_consent
from booking.consent.reminders import withdraw_consent_reminder
from booking.consent.text import consent_text
from booking.extensions import db
from booking.intake.choices import all_choices
from booking.lifecycle.history import PATIENT, by_staff, write_line
from booking.logs import log_on_commit
from booking.models import Appointment, ConsentRecord, ConsentReview, ConsultationRequest, StaffUser, utcnow
from booking.models.staff import ADDRESS_MAX, USER_AGENT_MAX
from booking.states import AppointmentStatus, ConsentAction


class NotAllowed(Exception):
    """Nothing to sign, withdraw or review in the appointment's present state; the message says why."""


class AlreadySigned(NotAllowed):
    """Signed already (a second press of Sign): the page shows the signature."""


def _next_sequence(appointment: Appointment) -> int:
    """This row's number among the appointment's; a concurrent twin gets the same one and is refused."""
    latest = db.session.execute(
        db.select(db.func.max(ConsentRecord.sequence)).where(ConsentRecord.appointment_id == appointment.id)
    ).scalar_one()
    return (latest or 0) + 1


def can_sign(appointment: Appointment) -> bool:
    """Once the time is confirmed, and until the appointment ends (the link stops working then)."""
    return appointment.status is AppointmentStatus.CONFIRMED


def _raise_flags(consultation: ConsultationRequest, flags: list[str]) -> None:
    """Add what the patient ticked here to the request's screening, in the form's order; never remove one."""
    raised = set(consultation.raised_flags) | set(flags)
    order = [key for key in all_choices()["screening"] if key != "none"]
    consultation.screening_flags = [key for key in order if key in raised]
    consultation.flagged = True
    consultation.attention_since = utcnow()  # in front of the desk until someone opens the request


def sign(appointment: Appointment, *, language: str, screening: list[str], statements: list[str],
         typed_name: str, address: str, user_agent: str) -> ConsentRecord:
    """The patient's signature: the exact text shown, their answers and name; a flag tells the clinic."""
    if not can_sign(appointment):
        raise NotAllowed("The consent can be signed once the time is confirmed.")
    if signed_consent(appointment) is not None:
        raise AlreadySigned("The consent is signed already.")
    consultation = appointment.consultation_request
    shown = consent_text(language, appointment.practitioner)
    flags = [key for key in screening if key != "none"]
    record = ConsentRecord(
        consultation_request=consultation, appointment=appointment, action=ConsentAction.SIGNED,
        sequence=_next_sequence(appointment),
        language=shown.language, version=shown.version, source_sha256=shown.source_sha256, text=shown.text,
        text_sha256=shown.sha256, answers={"screening": flags, "statements": list(statements)},
        flagged=bool(flags), typed_name=typed_name, appointment_starts_at=appointment.starts_at,
        practitioner_name=appointment.practitioner.name,
        address=(address or "")[:ADDRESS_MAX], user_agent=(user_agent or "")[:USER_AGENT_MAX],
    )
    db.session.add(record)
    note = f"The patient signed the dry-needling consent online (text {shown.language}/{shown.version})."
    if flags:
        _raise_flags(consultation, flags)
        note += " They answered yes to a screening question: talk it through before needling."
    write_line(consultation, PATIENT, note)
    db.session.flush()
    withdraw_consent_reminder(appointment)
    emails.enqueue_signed(record)
    log_on_commit(db.session, "Consent signed for request %s", consultation.reference)
    return record


def withdraw(appointment: Appointment, *, address: str, user_agent: str) -> ConsentRecord:
    """A new row saying the consent is withdrawn; the signed row stays as it was. The clinic is told."""
    signed = signed_consent(appointment)
    if signed is None:
        raise NotAllowed("There is no signed consent to withdraw.")
    consultation = appointment.consultation_request
    record = ConsentRecord(
        consultation_request=consultation, appointment=appointment, action=ConsentAction.WITHDRAWN,
        sequence=_next_sequence(appointment),
        language=signed.language, version=signed.version, source_sha256=signed.source_sha256, text=signed.text,
        text_sha256=signed.text_sha256, answers={}, flagged=False, typed_name="",
        appointment_starts_at=appointment.starts_at, practitioner_name=appointment.practitioner.name,
        address=(address or "")[:ADDRESS_MAX], user_agent=(user_agent or "")[:USER_AGENT_MAX],
    )
    db.session.add(record)
    write_line(consultation, PATIENT, "The patient withdrew their dry-needling consent online.")
    db.session.flush()
    emails.enqueue_withdrawn(record)
    log_on_commit(db.session, "Consent withdrawn for request %s", consultation.reference)
    return record


def mark_reviewed(appointment: Appointment, staff: StaffUser) -> ConsentReview:
    """The practitioner went through the signed consent with the patient: who and when."""
    signed = signed_consent(appointment)
    if signed is None:
        raise NotAllowed("There is no signed consent to review: use a printed one for this visit.")
    review = ConsentReview(consent=signed, staff=staff)
    db.session.add(review)
    write_line(appointment.consultation_request, by_staff(staff), "Reviewed the dry-needling consent with the patient.")
    log_on_commit(db.session, "Consent for request %s reviewed by staff %s",
                  appointment.consultation_request.reference, staff.id)
    return review
