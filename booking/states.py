"""Every state enum: where a request, its appointment, its waitlist place, its consent, an email in the outbox and a
staff account stand. The models store these with a CHECK; models/ imports them from here, never from a feature."""

from booking.enums import RichStrEnum


class RequestStatus(RichStrEnum):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SCHEDULED = "scheduled", "Scheduled"
    CLOSED = "closed", "Closed"


class CloseReason(RichStrEnum):
    BOOKED = "booked", "Booked a consultation"
    BOOKED_ELSEWHERE = "booked_elsewhere", "Booked elsewhere"
    NOT_SUITABLE = "not_suitable", "Not suitable for dry needling"
    NO_ANSWER = "no_answer", "No answer after several tries"
    DECLINED = "declined", "Patient declined"
    DUPLICATE = "duplicate", "Duplicate request"
    OTHER = "other", "Other (see notes)"


class AppointmentStatus(RichStrEnum):
    HELD = "held", "Held for the clinic to confirm"
    OFFERED = "offered", "Another time offered"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    RELEASED = "released", "Released"

    @classmethod
    def holding(cls) -> frozenset["AppointmentStatus"]:
        """The states in which the time is taken."""
        return frozenset({cls.HELD, cls.OFFERED, cls.CONFIRMED})


class Actor(RichStrEnum):
    """Who moved a request or its time: a staff member (named on the history line), the patient, or the app."""

    STAFF = "staff", "Staff"
    PATIENT = "patient", "The patient"
    SYSTEM = "system", "The system"


class WaitlistStatus(RichStrEnum):
    WAITING = "waiting", "Waiting for a time"
    BOOKED = "booked", "Took a time"
    LEFT = "left", "No longer waiting"


class ConsentAction(RichStrEnum):
    """What a consent row records; a row is never changed, so a new signature or a withdrawal is a new row."""

    SIGNED = "signed", "Signed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ConsentState(RichStrEnum):
    """Where an appointment's consent stands, read from its latest row (not stored)."""

    NOT_SIGNED = "not_signed", "Not signed"
    SIGNED = "signed", "Signed"
    SIGNED_WITH_FLAGS = "signed_with_flags", "Signed with flags"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Attendance(RichStrEnum):
    """What happened at an appointment's time, marked by the front desk once the time has started."""

    ARRIVED = "arrived", "Arrived"
    NO_SHOW = "no_show", "No-show"
    CANCELLED_LATE = "cancelled_late", "Cancelled late"


class NotificationStatus(RichStrEnum):
    """Where an email stands in the outbox."""

    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    REFUSED = "refused", "Address refused"  # the mail server refused it for good: waits for staff
    WITHDRAWN = "withdrawn", "No longer needed"  # its builder found nothing left to say (a cancelled reminder)


class StaffAction(RichStrEnum):
    """What an administrator did to someone's account, on the team page's history."""

    DISABLED = "disabled", "Account disabled"
    ENABLED = "enabled", "Account enabled"
    TWO_STEP_RESET = "two_step_reset", "Two-step sign-in reset"
