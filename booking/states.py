"""Where a consultation request stands at the front desk; the models store these, workflow moves them."""

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
