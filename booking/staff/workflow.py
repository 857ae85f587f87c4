"""A request's life at the front desk: new -> contacted -> scheduled -> closed, and what is overdue."""

from datetime import datetime, timedelta

from booking.clock import clinic_time

STATUSES = {"new": "New", "contacted": "Contacted", "scheduled": "Scheduled", "closed": "Closed"}

# Where a request may go from each status. Reopening a closed request is allowed, and recorded.
TRANSITIONS = {
    "new": ["contacted", "closed"],
    "contacted": ["scheduled", "closed"],
    "scheduled": ["contacted", "closed"],
    "closed": ["contacted"],
}

CLOSE_REASONS = {
    "booked": "Booked a consultation",
    "booked_elsewhere": "Booked elsewhere",
    "not_suitable": "Not suitable for dry needling",
    "no_answer": "No answer after several tries",
    "declined": "Patient declined",
    "duplicate": "Duplicate request",
    "other": "Other (see notes)",
}


def contact_due_by(received: datetime) -> datetime:
    """One business day after a request arrived (weekends do not count), in the clinic's zone."""
    due = clinic_time(received) + timedelta(days=1)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def is_overdue(status: str, received: datetime, now: datetime) -> bool:
    """Still new, and one business day has passed with no contact."""
    return status == "new" and contact_due_by(received) < clinic_time(now)


def age(received: datetime, now: datetime) -> str:
    """How long ago, in the words staff use: 3 h, 2 d."""
    seconds = max(0, int((now - received).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
