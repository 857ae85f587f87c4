"""Where an email stands in the outbox."""

from booking.enums import RichStrEnum


class NotificationStatus(RichStrEnum):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    REFUSED = "refused", "Address refused"  # the mail server refused it for good: waits for staff
    WITHDRAWN = "withdrawn", "No longer needed"  # its builder found nothing left to say (a cancelled reminder)
