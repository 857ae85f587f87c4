"""The staff pages, one module per page area; each adds its routes to the staff blueprint (guard.bp).

Every route on the staff blueprint lives here, a feature's staff pages included (consent.py): the sign-in
guard then covers them all. Patients' pages stay in their feature's own views.py.
"""

from booking.staff.views import (  # noqa: F401
    account, agenda, appointments, attendance, availability, inbox, numbers, outbox, sessions, setup, team,
    two_step, consent,
)
