"""The clinic's Location, each practitioner's Schedule and every Slot in the booking horizon, as FHIR R4 JSON.

Shaped as the SMART Scheduling Links specification asks of a slot publisher: one Location (the clinic),
one Schedule per active practitioner with hours, and one Slot per consultation start from the end of the
notice period to the end of the horizon, `free` if a patient could book it now and `busy` if it is taken
or the practitioner is away. A free Slot carries a booking-deep-link to the form with that time chosen
(booking/intake/deep_link.py); every Slot carries the clinic's booking-phone. Nothing here reads a
request: a busy Slot says only that the time is not free.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for

from booking.appointments.hours import HoursSpecError, parse_hours
from booking.appointments.queries import active_practitioners, aware_now, free_times_by_practitioner, window
from booking.appointments.slots import CELL_MINUTES, local_starts, slot_value
from booking.clock import clinic_zone
from booking.phone import to_e164

BOOKING_DEEP_LINK = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
BOOKING_PHONE = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone"
LOCATION_ID = "clinic"
SERVICE = "dry-needling-consultation"


@dataclass(frozen=True)
class Publication:
    """One consistent set of the three files, as lists of resources (dicts), and when it was made."""

    made_at: datetime
    locations: list[dict]
    schedules: list[dict]
    slots: list[dict]


def schedule_id(practitioner_id: int) -> str:
    return f"practitioner{practitioner_id}"


def slot_id(practitioner_id: int, start: datetime) -> str:
    """Stable across publications (the same practitioner and start), letters, digits and dots only."""
    return f"{schedule_id(practitioner_id)}.{start.strftime('%Y%m%dT%H%MZ')}"


def clinic_phone() -> str:
    cfg = current_app.config
    return to_e164(cfg["CLINIC_PHONE"], cfg["CLINIC_COUNTRY"]) or cfg["CLINIC_PHONE"]


def location() -> dict:
    """The clinic, where every consultation takes place."""
    cfg = current_app.config
    address = {
        "line": [cfg["CLINIC_STREET_ADDRESS"]],
        "city": cfg["CLINIC_LOCALITY"],
        "state": cfg["CLINIC_REGION"],
        "postalCode": cfg["CLINIC_POSTAL_CODE"],
        "country": cfg["CLINIC_COUNTRY"],
    }
    return {
        "resourceType": "Location",
        "id": LOCATION_ID,
        "name": cfg["CLINIC_NAME"],
        "telecom": [{"system": "phone", "value": clinic_phone()},
                    {"system": "url", "value": cfg["PUBLIC_BASE_URL"] + "/"}],
        "address": {key: value for key, value in address.items() if value},
    }


def service_type() -> list[dict]:
    """What a Schedule's slots are for: the clinic's own code, with words a person reads."""
    return [{
        "coding": [{"system": current_app.config["PUBLIC_BASE_URL"] + "/fhir/service-type", "code": SERVICE,
                    "display": "Dry needling consultation"}],
        "text": "Dry needling consultation",
    }]


def first_bookable(now: datetime) -> datetime:
    """The notice period's end, rounded up to the 5-minute grid every start sits on.

    A start is listed when it is at or after now + notice; on the grid that is the same as at or after
    this instant, which moves only every five minutes, so the files (and their ETag) do too.
    """
    earliest = now + timedelta(hours=current_app.config["BOOKING_MIN_NOTICE_HOURS"])
    floor = earliest.replace(second=0, microsecond=0) - timedelta(minutes=earliest.minute % CELL_MINUTES)
    return floor if floor == earliest else floor + timedelta(minutes=CELL_MINUTES)


def build_publication(now: datetime | None = None) -> Publication:
    """Every resource, read from the practitioners, their time off and the booked cells as they are now."""
    cfg = current_app.config
    zone = clinic_zone()
    now = now or aware_now()
    first_day, last_day = window(now)
    days = (last_day - first_day).days + 1
    length = timedelta(minutes=cfg["CONSULTATION_MINUTES"])
    earliest = first_bookable(now)
    free = free_times_by_practitioner(first_day, days, now=now)
    base = cfg["PUBLIC_BASE_URL"]
    phone = {"url": BOOKING_PHONE, "valueString": clinic_phone()}
    horizon_end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone)
    schedules, slots = [], []
    for practitioner in active_practitioners():
        try:
            hours = parse_hours(practitioner.hours)
        except HoursSpecError:  # never publish half a practitioner; the form skips them the same way
            continue
        schedules.append({
            "resourceType": "Schedule",
            "id": schedule_id(practitioner.id),
            "active": True,
            "serviceType": service_type(),
            "actor": [{"reference": f"Location/{LOCATION_ID}"}],
            "planningHorizon": {"start": earliest.isoformat(timespec="seconds"),
                                "end": horizon_end.isoformat(timespec="seconds")},
            "comment": f"Consultations with {practitioner.name}",
        })
        free_starts = set(free.get(practitioner.id, ()))
        for offset in range(days):
            for start in local_starts(hours, zone, first_day + timedelta(days=offset), cfg["CONSULTATION_MINUTES"]):
                if start < earliest:
                    continue
                slots.append(_slot(practitioner.id, start, start + length, start in free_starts, base, phone))
    return Publication(now, [location()], schedules, slots)


def _slot(practitioner_id: int, start: datetime, end: datetime, is_free: bool, base: str, phone: dict) -> dict:
    zone = clinic_zone()
    extensions = [phone]
    if is_free:
        link = base + url_for("intake.request_consultation", slot=slot_value(start, zone), practitioner=practitioner_id)
        extensions.insert(0, {"url": BOOKING_DEEP_LINK, "valueUrl": link})
    return {
        "resourceType": "Slot",
        "id": slot_id(practitioner_id, start),
        "schedule": {"reference": f"Schedule/{schedule_id(practitioner_id)}"},
        "status": "free" if is_free else "busy",
        "start": slot_value(start, zone),
        "end": slot_value(end, zone),
        "extension": extensions,
    }
