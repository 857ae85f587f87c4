"""The words people read for times and days, one home for every feature: a consultation's time, a day
heading, a staff clock time. Other languages take Babel's names for days and months (CLDR) with the
clinic's own patterns; English is written out here, whatever the server's locale."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import Flask

from booking.clock import clinic_zone
from booking.i18n import current_language
from booking.models import Appointment

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Spanish as it is written on a clinic's appointment card: "lunes 15 de marzo, 9:00".
_BABEL_PATTERNS = {"es": "EEEE d 'de' MMMM, H:mm"}
DAY_PATTERNS = {"en": "EEEE d MMMM", "es": "EEEE d 'de' MMMM"}


def slot_label(start_utc: datetime, zone: ZoneInfo, locale: str = "en") -> str:
    """The start as a person says it, "Monday 15 March, 9:00 am", whatever the server's locale.

    Other languages use Babel's names for days and months (CLDR) with the clinic's own pattern.
    """
    if start_utc.tzinfo is None or start_utc.utcoffset() is None:  # a naive time would be read as local
        raise ValueError(f"{start_utc!r} has no time zone")
    local = start_utc.astimezone(zone)
    if locale in _BABEL_PATTERNS:
        return format_datetime(local, _BABEL_PATTERNS[locale], locale=locale)
    hour = local.hour % 12 or 12
    noon = "am" if local.hour < 12 else "pm"
    day_name, month_name = _DAY_NAMES[local.weekday()], _MONTH_NAMES[local.month - 1]
    return f"{day_name} {local.day} {month_name}, {hour}:{local.minute:02d} {noon}"


def when(appointment: Appointment, language: str = "en") -> str:
    """'Tuesday 16 March, 9:00 am' (or 'martes 16 de marzo, 9:00'), on the clinic's clock."""
    return slot_label(appointment.starts_at.replace(tzinfo=UTC), clinic_zone(), language)


def day_label(day, pattern: str | None = None) -> str:
    """A day heading as people write it: "Monday 15 March", "lunes 15 de marzo" (or a CLDR pattern's part)."""
    language = current_language()
    return format_date(day, pattern or DAY_PATTERNS.get(language, DAY_PATTERNS["en"]), locale=language)


def clinic_clock(stored: datetime) -> str:
    """A stored time as staff say it, "9:00 am", on the clinic's clock."""
    local = stored.replace(tzinfo=UTC).astimezone(clinic_zone())
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def day_heading(day: date) -> str:
    """"Monday 15 March 2027", whatever the server's locale."""
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def register(app: Flask) -> None:
    """Templates use the same formatters: day_label for any page, clinic_clock and day_heading for staff pages."""
    app.add_template_global(day_label)
    app.add_template_filter(clinic_clock)
    app.add_template_filter(day_heading)
