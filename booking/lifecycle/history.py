"""A request's history: who acts, and the one function that writes a line (and a status change with it).

Every feature that changes a request or its appointment (the lifecycle's operations, attendance, consent)
writes its line here, in the caller's transaction, so each line names its actor the same way and a staff
member's first action ends "nobody has acted" (overdue) wherever it happens.
"""

from dataclasses import dataclass
from datetime import datetime

from booking.extensions import db
from booking.models import ConsultationRequest, RequestEvent, StaffUser, utcnow
from booking.states import Actor, CloseReason, RequestStatus


@dataclass(frozen=True)
class By:
    """Who is acting: the history line names them, and only staff actions count as the front desk acting."""

    actor: Actor
    staff: StaffUser | None = None

    @property
    def log_name(self) -> str:
        return f"staff {self.staff.id}" if self.staff is not None else str(self.actor)


PATIENT = By(Actor.PATIENT)
SYSTEM = By(Actor.SYSTEM)


def by_staff(staff: StaffUser) -> By:
    return By(Actor.STAFF, staff)


def write_line(consultation: ConsultationRequest, by: By, note: str = "", *,
               to_status: RequestStatus | None = None, closed_reason: CloseReason | None = None,
               time_from: datetime | None = None, time_to: datetime | None = None,
               at: datetime | None = None) -> RequestEvent:
    """The request's history line, and its status change if there is one; staff acting ends 'nobody has acted'.

    `at` (naive UTC) is when it happened, when the caller's clock says so; otherwise now.
    """
    at = at or utcnow()
    from_status = None
    if to_status is not None and to_status is not consultation.status:
        from_status = consultation.status
        consultation.status = to_status
        consultation.closed_reason = closed_reason
        consultation.closed_at = at if to_status is RequestStatus.CLOSED else None
    else:
        to_status = None
    event = RequestEvent(consultation_request=consultation, actor=by.actor, staff=by.staff, note=note,
                         from_status=from_status, to_status=to_status, closed_reason=closed_reason if to_status else None,
                         time_from=time_from, time_to=time_to, created_at=at)
    db.session.add(event)
    if by.actor is Actor.STAFF:
        consultation.first_action_at = consultation.first_action_at or at
    return event
