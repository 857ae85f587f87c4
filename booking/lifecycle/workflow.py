"""A request's life at the front desk: new -> contacted -> scheduled -> closed, and what is overdue.

Staff choose a status by hand only along TRANSITIONS. The consultation time moves it too (operations.py):
a confirmed time makes a request scheduled, a time let go takes a scheduled request back to contacted.
"""

from datetime import datetime, timedelta

from booking.clock import clinic_time
from booking.states import CloseReason, RequestStatus


class WorkflowError(ValueError):
    """A change the workflow does not allow; its message is shown to staff."""


# Where a request may go from each status. Reopening a closed request is allowed, and recorded.
TRANSITIONS: dict[RequestStatus, list[RequestStatus]] = {
    RequestStatus.NEW: [RequestStatus.CONTACTED, RequestStatus.SCHEDULED, RequestStatus.CLOSED],
    RequestStatus.CONTACTED: [RequestStatus.SCHEDULED, RequestStatus.CLOSED],
    RequestStatus.SCHEDULED: [RequestStatus.CONTACTED, RequestStatus.CLOSED],
    RequestStatus.CLOSED: [RequestStatus.CONTACTED],
}


def check_move(from_status: RequestStatus, to_status: str, closed_reason: str | None = None
               ) -> tuple[RequestStatus, CloseReason | None]:
    """The move as states, or WorkflowError: only TRANSITIONS' moves, and closing needs a reason."""
    try:
        target = RequestStatus(to_status)
    except ValueError:
        raise WorkflowError(f"A {from_status} request cannot be marked {to_status}.") from None
    if target not in TRANSITIONS[from_status]:
        raise WorkflowError(f"A {from_status} request cannot be marked {target}.")
    if target is not RequestStatus.CLOSED:
        return target, None
    try:
        return target, CloseReason(closed_reason)
    except ValueError:
        raise WorkflowError("Choose why the request is being closed.") from None


def contact_due_by(received: datetime) -> datetime:
    """One business day after a request arrived (weekends do not count), in the clinic's zone."""
    due = clinic_time(received) + timedelta(days=1)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def is_overdue(status: str, received: datetime, now: datetime, first_action_at: datetime | None = None) -> bool:
    """Still new, nobody at the front desk has acted on it, and one business day has passed."""
    return (status == RequestStatus.NEW and first_action_at is None
            and contact_due_by(received) < clinic_time(now))


def age(received: datetime, now: datetime) -> str:
    """How long ago, in the words staff use: 3 h, 2 d."""
    seconds = max(0, int((now - received).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
