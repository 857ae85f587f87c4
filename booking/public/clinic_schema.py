"""The clinic as schema.org reads it: JSON-LD on the information page, so search engines can show its
address, phone, opening hours and the way to ask for a consultation.

Built from the settings alone (nothing per visitor), so the page that carries it may still be kept whole
by booking/public/page_cache.py. The template writes it with Flask's `tojson` filter, which escapes <, >,
& and ' as \\u003c and so on: no value from the settings can close the <script> element early.
"""

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext

from booking.i18n import current_language, localized_url_for
from booking.phone import to_e164

# schema.org's openingHours text form: "Mo-Fr 07:00-19:00" or "Mo,We,Fr 09:00-17:00".
_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HOURS_LINE = re.compile(r"(?P<days>[A-Z][a-z](?:[-,][A-Z][a-z])*) (?P<opens>\d\d:\d\d)-(?P<closes>\d\d:\d\d)")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


@dataclass(frozen=True)
class OpeningHours:
    """One line of CLINIC_OPENING_HOURS: the days it covers and the times the doors open and close."""

    days: tuple[str, ...]  # schema.org day names, "Monday" ...
    opens: str
    closes: str


def parse_opening_hours(lines: list[str]) -> list[OpeningHours]:
    """CLINIC_OPENING_HOURS ("Mo-Fr 07:00-19:00|Sa 08:00-12:00") read; a line it cannot read is a ValueError."""
    parsed = []
    for line in lines:
        match = _HOURS_LINE.fullmatch(line.strip())
        if not match or not _TIME.fullmatch(match["opens"]) or not _TIME.fullmatch(match["closes"]) \
                or match["closes"] <= match["opens"]:
            raise ValueError(f"{line!r} is not like 'Mo-Fr 07:00-19:00'")
        days: list[str] = []
        for part in match["days"].split(","):
            first, _, last = part.partition("-")
            if first not in _DAYS or (last and last not in _DAYS):
                raise ValueError(f"{line!r}: days are written Mo Tu We Th Fr Sa Su")
            start, end = _DAYS.index(first), _DAYS.index(last or first)
            if end < start:
                raise ValueError(f"{line!r}: a range of days runs forward, as Mo-Fr")
            days.extend(_DAY_NAMES[start:end + 1])
        parsed.append(OpeningHours(tuple(days), match["opens"], match["closes"]))
    return parsed


def clinic_json_ld() -> dict:
    """The clinic as a schema.org MedicalClinic, in the page's language."""
    cfg = current_app.config
    language = current_language()
    base = cfg["PUBLIC_BASE_URL"]
    phone = to_e164(cfg["CLINIC_PHONE"], cfg["CLINIC_COUNTRY"]) or cfg["CLINIC_PHONE"]
    address = {
        "@type": "PostalAddress",
        "streetAddress": cfg["CLINIC_STREET_ADDRESS"],
        "addressLocality": cfg["CLINIC_LOCALITY"],
        "addressRegion": cfg["CLINIC_REGION"],
        "postalCode": cfg["CLINIC_POSTAL_CODE"],
        "addressCountry": cfg["CLINIC_COUNTRY"],
    }
    consultation_url = base + localized_url_for("intake.request_consultation")
    return {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "@id": base + "/#clinic",
        "name": cfg["CLINIC_NAME"],
        "description": gettext(
            "Dry needling at %(name)s: what it is, how it may help, what a session is like, safety, and how "
            "to request a consultation.", name=cfg["CLINIC_NAME"]),
        "url": base + localized_url_for("public.dry_needling"),
        "inLanguage": language,
        "telephone": phone,
        "email": cfg["CLINIC_PUBLIC_EMAIL"],
        "address": {key: value for key, value in address.items() if value},
        "openingHoursSpecification": [
            {"@type": "OpeningHoursSpecification", "dayOfWeek": list(line.days), "opens": line.opens,
             "closes": line.closes}
            for line in parse_opening_hours(cfg["CLINIC_OPENING_HOURS"])
        ],
        "medicalSpecialty": "Physiotherapy",
        "availableService": {
            "@type": "MedicalTherapy",
            "name": gettext("Dry needling"),
        },
        "isAcceptingNewPatients": bool(cfg["CLINIC_ACCEPTING_NEW_PATIENTS"]),
        "potentialAction": {
            "@type": "ReserveAction",
            "name": gettext("Request a consultation"),
            "target": {"@type": "EntryPoint", "urlTemplate": consultation_url, "inLanguage": language},
        },
    }

