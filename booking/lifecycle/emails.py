"""The clinic hears what patients do to their time: a move, a cancellation, an accepted offer, a waitlist booking.

One email kind, built from what the operation recorded in its payload (reference, old and new time, who
on the waitlist was offered a freed time), so the email says what happened then, whatever happens after.
With NOTIFY_DETAILS=minimal it names no one: references only.
"""

from datetime import UTC, datetime

from flask import current_app, render_template
from flask_mail import Message

from booking.clock import clinic_zone
from booking.formatting import slot_label
from booking.intake.emails import staff_link
from booking.models import ConsultationRequest, Notification
from booking.outbox.queue import enqueue
from booking.outbox.registry import register_email

CLINIC_PATIENT_ACTION = "clinic_patient_action"

MOVED = "moved"
CANCELLED = "cancelled"
ACCEPTED = "accepted"
FROM_WAITLIST = "from_waitlist"

# The subject's first words, and the email's heading.
HEADLINES = {
    MOVED: "Patient moved their consultation",
    CANCELLED: "Patient cancelled their consultation",
    ACCEPTED: "Patient accepted the offered time",
    FROM_WAITLIST: "Patient took a freed time from the waitlist",
}


def _stored(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=None).isoformat()


def tell_clinic(consultation: ConsultationRequest, action: str, *, was: datetime | None = None,
                to: datetime | None = None, practitioner: str = "", offered_to: list[str] | None = None,
                reason: str = "", state: str = "") -> None:
    """Queue the clinic's email about a patient's action, in the caller's transaction."""
    enqueue(CLINIC_PATIENT_ACTION, consultation_request=consultation, payload={
        "action": action, "was": _stored(was), "to": _stored(to), "practitioner": practitioner,
        "offered_to": offered_to or [], "reason": reason, "state": state,
    })


def _spoken(stored: str | None) -> str | None:
    if not stored:
        return None
    return slot_label(datetime.fromisoformat(stored).replace(tzinfo=UTC), clinic_zone(), "en")


def clinic_patient_action(notification: Notification) -> Message:
    """What the patient did, with the times on the clinic's clock; names only in full mode."""
    consultation = notification.consultation_request
    payload = notification.payload
    full = current_app.config["NOTIFY_DETAILS"] == "full"
    offered_to = payload.get("offered_to") or []
    context = {
        "req": consultation, "full": full, "headline": HEADLINES[payload["action"]], "action": payload["action"],
        "was": _spoken(payload.get("was")), "to": _spoken(payload.get("to")),
        "practitioner": payload.get("practitioner", ""), "offered_to": offered_to,
        "reason": payload.get("reason", "") if full else "", "state": payload.get("state", ""),
        "link": staff_link(consultation),
    }
    return Message(
        subject=f"{context['headline']} [{consultation.reference}]",
        recipients=list(current_app.config["CLINIC_EMAIL"]),
        body=render_template("email/clinic_patient_action.txt", **context),
        html=render_template("email/clinic_patient_action.html", **context),
    )


def register_emails() -> None:
    register_email(CLINIC_PATIENT_ACTION, clinic_patient_action)
