"""Deep links into the form: /consultation?slot=<ISO 8601 start with offset>&practitioner=<id>.

Another site (a SMART Scheduling Links client, booking/fhir/) or a search result links to one free time.
The form opens with that time chosen if it is still free; otherwise it says so and offers the nearest free
times, each again as a deep link. Whatever the query holds, the answer is the form, never an error page.
"""

from dataclasses import dataclass, field
import re
from datetime import UTC, datetime, timedelta

from booking.appointments.queries import (
    OfferedTime,
    free_times_by_practitioner,
    practitioner_load,
    practitioners_free_at,
)
from booking.appointments.slots import merge_practitioners, slot_value
from booking.clock import clinic_zone
from booking.formatting import slot_label

NEAREST = 3
# Any ISO 8601 date-time with an offset is shorter than this; longer text is not looked at.
_MAX_SLOT_TEXT = 40
# How far either side of a taken time to look for the nearest free ones.
_SEARCH_DAYS = 7
_OFFSET = re.compile(r"\d\d:?\d\d")


@dataclass(frozen=True)
class DeepLink:
    """What the form makes of ?slot=: the time if it is free, else the nearest free times."""

    readable: bool  # the slot parameter was a date-time with an offset
    chosen: OfferedTime | None = None  # the time, free, and who would see the patient
    asked_label: str = ""  # the asked time as the page writes it (when readable)
    nearest: list[OfferedTime] = field(default_factory=list)

    @property
    def week(self):
        """The local day the picker's week starts on: the chosen time's, or the nearest free one's."""
        shown = self.chosen or (self.nearest[0] if self.nearest else None)
        return shown.start.astimezone(clinic_zone()).date() if shown else None


def parse_link_start(text: str | None) -> datetime | None:
    """?slot= as aware UTC: any ISO 8601 date-time with an offset (the clinic's, UTC's or another); else None."""
    if not text or len(text) > _MAX_SLOT_TEXT:
        return None
    head, space, tail = text.rpartition(" ")
    if space and _OFFSET.fullmatch(tail):  # a "+" left unencoded in a query string arrives as a space
        text = f"{head}+{tail}"
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None or moment.utcoffset() is None:
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def read_deep_link(text: str | None, practitioner_id: int | None, language: str) -> DeepLink:
    """Is the linked time free (with this practitioner, if one is named)? If not, which free times are nearest?"""
    zone = clinic_zone()
    start = parse_link_start(text)
    if start is None:
        return DeepLink(readable=False)
    try:
        free_with = practitioners_free_at(start, practitioner_id)
    except (ValueError, OverflowError):  # a date far outside what the calendar can hold
        return DeepLink(readable=False)
    label = slot_label(start, zone, language)
    if free_with:
        chosen = OfferedTime(start, free_with[0], label, slot_value(start, zone))
        return DeepLink(readable=True, chosen=chosen, asked_label=label)
    return DeepLink(readable=True, asked_label=label, nearest=nearest_free(start, practitioner_id, language))


def nearest_free(start: datetime, practitioner_id: int | None, language: str) -> list[OfferedTime]:
    """The free times closest to `start` (before or after, up to a week either side), in time order."""
    zone = clinic_zone()
    try:
        first_day = (start - timedelta(days=_SEARCH_DAYS)).astimezone(zone).date()
        per_practitioner = free_times_by_practitioner(first_day, 2 * _SEARCH_DAYS + 1, practitioner_id)
    except OverflowError:  # within a week of the calendar's first or last day
        return []
    merged = merge_practitioners(per_practitioner, practitioner_load(list(per_practitioner)))
    closest = sorted(merged, key=lambda moment: (abs(moment - start), moment))[:NEAREST]
    return [OfferedTime(moment, merged[moment], slot_label(moment, zone, language), slot_value(moment, zone))
            for moment in sorted(closest)]
