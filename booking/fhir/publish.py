"""The published files, kept per process and made again only when what they show may have changed.

Before each answer one cheap read asks for a stamp of everything the files depend on: the practitioners
(their few rows whole: name, active, hours), the time off (count, highest id, latest written), the
appointments (count, latest change) and the booked cells (count), the end of the notice period on the
5-minute grid (a start passes into it) and the clinic's date (a new day enters the horizon). The stamp is also the ETag, so a
client that asks again with If-None-Match gets 304 until something changes. A booking, a cancellation, a
move or new time off changes the stamp at once, on every server: no stale free time after a booking.
"""

import hashlib
import json
from datetime import datetime

from flask import current_app

from booking.appointments.queries import aware_now
from booking.extensions import db
from booking.clock import clinic_zone
from booking.fhir.resources import Publication, build_publication, first_bookable
from booking.models import Appointment, BookedCell, Practitioner, TimeOff

_KEY = "fhir_publication"


def stamp(now: datetime) -> str:
    """A short digest of what the published files depend on (see the module's docstring)."""
    practitioners = db.session.execute(
        db.select(Practitioner.id, Practitioner.name, Practitioner.active, Practitioner.hours)
        .order_by(Practitioner.id)).all()
    time_off = db.session.execute(
        db.select(db.func.count(TimeOff.id), db.func.max(TimeOff.id), db.func.max(TimeOff.created_at),
                  db.func.sum(TimeOff.practitioner_id))).one()
    appointments = db.session.execute(
        db.select(db.func.count(Appointment.id), db.func.max(Appointment.updated_at))).one()
    cells = db.session.execute(db.select(db.func.count()).select_from(BookedCell)).scalar_one()
    cfg = current_app.config
    settings = [cfg[name] for name in ("PUBLIC_BASE_URL", "CLINIC_NAME", "CLINIC_PHONE", "CLINIC_TIMEZONE",
                                       "CONSULTATION_MINUTES", "BOOKING_MIN_NOTICE_HOURS", "BOOKING_HORIZON_DAYS")]
    parts = [[list(row) for row in practitioners], list(time_off), list(appointments), cells,
             first_bookable(now).isoformat(), now.astimezone(clinic_zone()).date().isoformat(), settings]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def current_publication() -> tuple[str, Publication]:
    """(stamp, the files): this process's last ones if the stamp is unchanged, else made afresh."""
    now = aware_now()
    version = stamp(now)
    kept = current_app.extensions.get(_KEY)
    if kept is not None and kept[0] == version:
        return kept
    made = (version, build_publication(now))
    current_app.extensions[_KEY] = made
    return made


def ndjson(resources: list[dict]) -> str:
    """One minified JSON object per line, as the specification's files are."""
    return "".join(json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n" for resource in resources)
