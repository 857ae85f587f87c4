"""The staff inbox: see, triage and answer consultation requests."""

# Each module adds its routes to bp.
from booking.staff import account, agenda, appointments, availability, inbox, outbox_page, team  # noqa: F401
from booking.staff.guard import bp

__all__ = ["bp"]
