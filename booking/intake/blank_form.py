"""The blank consultation form, drawn once and reused for a moment, with each visitor's own tokens put in.

Drawing the form costs about 13 ms (Jinja, WTForms' widgets, every label through Flask-Babel, the week of
free times); putting two tokens into a drawn page costs microseconds. What a blank form shows depends only on
the language, the settings and the free times, so a drawing is reused while all of these hold:

- it is in the visitor's language;
- nothing was committed by this process since (a booking here redraws it at once);
- the clinic's clock is still in the same minute (times inside the notice period drop off);
- it is at most FORM_PAGE_MAX_AGE_SECONDS old (another server's booking shows within that).

A time shown a moment after another server took it is no double booking: the booked_cell key refuses the
second hold, and the patient gets their answers back with "That time was just taken". The CSRF token and the
submission token are never drawn: each visitor's are put in when the page is served.

The practitioners a form offers (the list a posted form's choice is checked against) are kept the same way,
but read again only after a practitioner changes here, or after the max age: a submission is a commit, and
waiting for no commit at all would mean reading them on every submission.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from booking.models import Practitioner, utcnow

# Drawn into the page where the tokens go; plain letters, so escaping leaves them as they are.
CSRF_SLOT = "csrfTokenSlotX7q"
SUBMISSION_SLOT = "submissionTokenSlotX7q"


class _Commits:
    """Counts this process's commits: any of them may have changed the free times."""

    count = 0


@event.listens_for(Session, "after_commit")
def _count_commit(_session) -> None:
    _Commits.count += 1


@dataclass(frozen=True)
class Stamp:
    """What held when a drawing began: a commit or a new minute after this makes the drawing old."""

    language: str
    minute: str
    commits: int
    drawn_at: float


def stamp(language: str) -> Stamp:
    """Taken before the form is drawn, so that a commit during the drawing counts against it."""
    return Stamp(language, _minute(), _Commits.count, time.monotonic())


@dataclass(frozen=True)
class DrawnForm:
    stamp: Stamp
    before_csrf: str
    between: str
    after_submission: str

    def fill(self, csrf_token: str, submission_token: str) -> str:
        return self.before_csrf + csrf_token + self.between + submission_token + self.after_submission

    def still_true(self, language: str, max_age: float) -> bool:
        drawn = self.stamp
        return (drawn.language == language and drawn.commits == _Commits.count and drawn.minute == _minute()
                and _young(drawn.drawn_at, max_age))


def _young(read_at: float, max_age: float) -> bool:
    """Read at most max_age seconds ago (a max age of 0: never reused)."""
    return max_age > 0 and time.monotonic() - read_at <= max_age


def _minute() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M")


def reusable(language: str) -> DrawnForm | None:
    """This process's drawing of the blank form in `language`, if it still shows what a new one would."""
    drawn = current_app.extensions.get("blank_form", {}).get(language)
    max_age = current_app.config["FORM_PAGE_MAX_AGE_SECONDS"]
    if drawn is not None and drawn.still_true(language, max_age):
        return drawn
    return None


def keep(page: str, drawn: Stamp) -> DrawnForm | None:
    """Split a page drawn with the two slots and keep it; None if the slots are not there once each, in order."""
    if page.count(CSRF_SLOT) != 1 or page.count(SUBMISSION_SLOT) != 1 or \
            page.index(CSRF_SLOT) > page.index(SUBMISSION_SLOT):
        return None
    before_csrf, rest = page.split(CSRF_SLOT)
    between, after_submission = rest.split(SUBMISSION_SLOT)
    form = DrawnForm(drawn, before_csrf, between, after_submission)
    current_app.extensions.setdefault("blank_form", {})[drawn.language] = form
    return form


class _PractitionerChanges:
    """Counts this process's changes to practitioners (ORM flushes; nothing writes them another way)."""

    count = 0


def _practitioner_changed(*_) -> None:
    _PractitionerChanges.count += 1


for _change in ("after_insert", "after_update", "after_delete"):
    event.listen(Practitioner, _change, _practitioner_changed)


def practitioners(read: Callable[[], list[tuple[int, str]]]) -> list[tuple[int, str]]:
    """The practitioners a form offers (id, name): read again after any change to one in this process, and
    FORM_PAGE_MAX_AGE_SECONDS after the last read (a change on another server).

    Every posted form needs the list to check the choice it carries. A list a moment old is safe: holding
    the time checks the practitioner's hours and bookings afresh, and a request without a time is kept.
    """
    kept = current_app.extensions.get("form_practitioners")
    max_age = current_app.config["FORM_PAGE_MAX_AGE_SECONDS"]
    if kept is not None and kept[0] == _PractitionerChanges.count and _young(kept[1], max_age):
        return kept[2]
    changes, read_at = _PractitionerChanges.count, time.monotonic()
    listed = read()
    current_app.extensions["form_practitioners"] = (changes, read_at, listed)
    return listed
