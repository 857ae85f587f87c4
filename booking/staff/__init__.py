"""The staff inbox: see, triage and answer consultation requests."""

from booking.staff import account, availability, inbox, outbox_page, team  # noqa: F401  (each adds its routes to bp)
from booking.staff.guard import bp

__all__ = ["bp"]
