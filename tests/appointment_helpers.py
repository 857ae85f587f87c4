"""What the appointment tests share: a fixed clock, a patient's manage link, the rows a GET must not touch."""

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import text

from booking.appointments.links import manage_url, offer_freed_time, waitlist_url
from booking.extensions import db
from booking.intake.choices import all_choices

# Monday 1 March 2027, 10:00 in New York: before the clocks change there on 14 March.
NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
# A week on: well outside the notice and cancel cutoff.
NEXT_WEEK = date(2027, 3, 8)
TABLES = ("consultation_request", "appointment", "booked_cell", "notification", "waitlist_entry", "request_event")


@pytest.fixture
def clock():
    """The clinic's clock at NOW, ticking on from there."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def book_next_week():
    """Maria's consultation at the first free time in the week of NEXT_WEEK, confirmed; needs an app context."""
    from tests.factories import first_free_time, make_confirmed_appointment, make_practitioner

    practitioner = make_practitioner()
    return make_confirmed_appointment(practitioner=practitioner, start=first_free_time(practitioner.id, NEXT_WEEK).start)


def manage_path(appointment) -> str:
    """The manage link's path, as a patient's browser would ask for it."""
    return urlsplit(manage_url(appointment)).path


def offered_link(consultation, practitioner_id: int, start) -> str:
    """A stored waitlist offer of `start` to this waiting patient, committed, and its link (as emailed)."""
    offer = offer_freed_time(consultation, practitioner_id, start)
    db.session.commit()
    return waitlist_url(offer)


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table an appointment touches, to compare before and after a GET."""
    with app.app_context():
        return {table: sorted(map(tuple, db.session.execute(text(f"select * from {table}"))), key=repr)
                for table in TABLES}


def send_mail(runner):
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    return result


def to(messages, address: str) -> list:
    return [m for m in messages if address in m["To"]]


def with_subject(messages, words: str) -> list:
    return [m for m in messages if words in m["Subject"]]


def calendar_of(message) -> Calendar:
    """The .ics attached to an email, parsed by the icalendar library as a calendar app would."""
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def event_of(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def health_words() -> list[str]:
    """What a patient told us about their health, in the words the form shows: never in a patient's email."""
    choices = all_choices()
    words = [*choices["condition"].values(), *choices["body_area"].values(), *choices["screening"].values(),
             *choices["condition"], *choices["screening"], "Sharp heel pain", "heel", "needles", "pain level"]
    return [w for w in words if w not in {"none", "other", "None of these apply to me"}]


def assert_no_health_words(whole: str) -> None:
    lowered = whole.lower()
    for word in health_words():
        assert word.lower() not in lowered, word
