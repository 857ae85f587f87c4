"""The staff inbox: see, triage and answer consultation requests."""

# Each module adds its routes to bp.
from booking.staff import (  # noqa: F401
    account, agenda, appointments, attendance, availability, inbox, numbers, outbox_page, sessions_page,
    setup_pages, team, two_step_pages,
)
from booking.staff.guard import bp

__all__ = ["bp"]
