"""What the consent pages, the staff pages and the reminders read: an appointment's consent rows and state."""

from booking.extensions import db
from booking.models import Appointment, ConsentRecord
from booking.states import ConsentAction, ConsentState


def consent_rows(appointment: Appointment) -> list[ConsentRecord]:
    """Every signature and withdrawal for this appointment, oldest first."""
    return db.session.execute(
        db.select(ConsentRecord).where(ConsentRecord.appointment_id == appointment.id).order_by(ConsentRecord.id)
    ).scalars().all()


def latest_consent(appointment: Appointment) -> ConsentRecord | None:
    return db.session.execute(
        db.select(ConsentRecord).where(ConsentRecord.appointment_id == appointment.id)
        .order_by(ConsentRecord.id.desc()).limit(1)
    ).scalar_one_or_none()


def state_of(record: ConsentRecord | None) -> ConsentState:
    if record is None:
        return ConsentState.NOT_SIGNED
    if record.action is ConsentAction.WITHDRAWN:
        return ConsentState.WITHDRAWN
    return ConsentState.SIGNED_WITH_FLAGS if record.flagged else ConsentState.SIGNED


def consent_state(appointment: Appointment) -> ConsentState:
    return state_of(latest_consent(appointment))


def is_signed(appointment: Appointment) -> bool:
    """Signed and not withdrawn since: what the regular reminder tells the patient."""
    return consent_state(appointment) in (ConsentState.SIGNED, ConsentState.SIGNED_WITH_FLAGS)


def signed_consent(appointment: Appointment) -> ConsentRecord | None:
    """The latest signature, if it has not been withdrawn since."""
    record = latest_consent(appointment)
    return record if record is not None and record.action is ConsentAction.SIGNED else None
