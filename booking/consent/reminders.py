"""The consent reminder's schedule: CONSENT_REMINDER_HOURS before a confirmed time, withdrawn when not needed.

Kept apart from emails.py (which builds the message) so the appointment emails can schedule and withdraw
it without importing the consent pages.
"""

from datetime import timedelta

from flask import current_app

from booking.models import Appointment, utcnow
from booking.outbox.admin import withdraw_pending
from booking.outbox.queue import enqueue

CONSENT_REMINDER = "consent_reminder"


def schedule_consent_reminder(appointment: Appointment) -> None:
    """One email asking to sign, due CONSENT_REMINDER_HOURS before the time; the builder skips it if signed."""
    withdraw_consent_reminder(appointment)
    due = appointment.starts_at - timedelta(hours=current_app.config["CONSENT_REMINDER_HOURS"])
    enqueue(CONSENT_REMINDER, consultation_request=appointment.consultation_request,
            send_after=max(due, utcnow()), payload={"starts_at": appointment.starts_at.isoformat()})


def withdraw_consent_reminder(appointment: Appointment) -> None:
    if appointment.request_id is not None:
        withdraw_pending(CONSENT_REMINDER, appointment.request_id)
