"""The tables, one module per area; import them from here."""

from booking.models.appointments import (
    Appointment, BookedCell, Practitioner, TimeOff, WaitlistEntry, WaitlistOffer,
)
from booking.models.base import (
    CONDITION_OTHER_MAX,
    DESCRIPTION_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PHONE_E164_MAX,
    PHONE_MAX,
    state,
    utcnow,
)
from booking.models.consent import ConsentRecord, ConsentReview
from booking.models.outbox import Notification
from booking.models.requests import ConsultationRequest, RequestEvent
from booking.models.staff import (
    RecoveryCode, SignInFailure, StaffEvent, StaffSession, StaffUser,
)

__all__ = [
    "Appointment", "BookedCell", "ConsentRecord", "ConsentReview", "ConsultationRequest", "Notification", "Practitioner", "RequestEvent",
    "RecoveryCode", "SignInFailure", "StaffEvent", "StaffSession",
    "StaffUser", "TimeOff", "WaitlistEntry", "WaitlistOffer", "CONDITION_OTHER_MAX", "DESCRIPTION_MAX", "EMAIL_MAX", "NAME_MAX",
    "PHONE_E164_MAX", "PHONE_MAX", "state", "utcnow",
]
