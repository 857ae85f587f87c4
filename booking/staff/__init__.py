"""The staff side: the inbox, agenda, availability, team and sign-in, on one blueprint that guard.py guards.

views/ holds the pages (HTTP in and out, one module per page area), operations/ the work they ask for
(sign-in, sessions, two-step, invitations, erasure), and beside them forms.py, queries.py (what the pages
read), emails.py and commands.py, as in every feature package.
"""

from booking.staff import views  # noqa: F401 (each view module adds its routes to bp)
from booking.staff.guard import bp

__all__ = ["bp"]
