"""The .ics files patients' calendars read: a stable UID, SEQUENCE per change, the clinic's time zone, no health details."""

from datetime import UTC, datetime
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext
from icalendar import Calendar, Event, vCalAddress, vText

from booking.clock import clinic_zone
from booking.models import Appointment, utcnow

PRODID = "-//Juniper Physical Therapy//Consultation booking//EN"


def _uid(appointment: Appointment) -> str:
    _, sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return f"{appointment.uid}@{sender.rpartition('@')[2] or 'localhost'}"


def appointment_ics(appointment: Appointment, method: str = "REQUEST") -> bytes:
    """One VEVENT: REQUEST to add or update it, CANCEL to remove it. Only the reference and 'Consultation'."""
    cfg = current_app.config
    zone = clinic_zone()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", _uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", utcnow().replace(tzinfo=UTC))
    event.add("dtstart", appointment.starts_at.replace(tzinfo=UTC).astimezone(zone))
    event.add("dtend", appointment.ends_at.replace(tzinfo=UTC).astimezone(zone))
    event.add("summary", gettext("Consultation at %(clinic)s", clinic=cfg["CLINIC_NAME"]))
    event.add("description", gettext("Reference %(reference)s. To change or cancel, call %(phone)s.",
                                      reference=appointment.consultation_request.reference,
                                      phone=cfg["CLINIC_PHONE"]))
    event.add("location", vText(", ".join(cfg["CLINIC_ADDRESS"])))
    # The clinic's public address, never a no-reply one: a calendar's "Accept" is mailed to the organizer.
    organizer = vCalAddress(f"mailto:{cfg['CLINIC_PUBLIC_EMAIL']}")
    organizer.params["cn"] = vText(cfg["CLINIC_NAME"])
    event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{appointment.consultation_request.email}")
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_ics(name: str, appointments: list[Appointment], now: datetime | None = None) -> bytes:
    """A practitioner's private feed: each appointment as 'Consultation' and its reference, nothing more."""
    zone = clinic_zone()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{name}: consultations")
    for appointment in appointments:
        event = Event()
        event.add("uid", _uid(appointment))
        event.add("sequence", appointment.sequence)
        event.add("dtstamp", (now or utcnow()).replace(tzinfo=UTC))
        event.add("dtstart", appointment.starts_at.replace(tzinfo=UTC).astimezone(zone))
        event.add("dtend", appointment.ends_at.replace(tzinfo=UTC).astimezone(zone))
        event.add("summary", f"Consultation {appointment.consultation_request.reference}")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
