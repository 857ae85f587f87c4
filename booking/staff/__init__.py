"""The staff inbox: see, triage and answer consultation requests."""

from booking.staff import account, inbox, outbox_page, sessions_page, team, two_step_pages  # noqa: F401  (each adds its routes to bp)
from booking.staff.guard import bp

__all__ = ["bp"]
