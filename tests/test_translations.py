"""The Spanish catalogue is complete and current, and no patient-facing text escaped being marked.

- `pybabel extract` into a temporary .pot, then `pybabel update --check`: fails when the catalogue is out
  of date (a string was added, changed or removed in the code and not in messages.po).
- Every entry of each .po is translated, none is fuzzy, and Babel's own checks (placeholders) pass.
- A pseudo-locale: every translation wrapped in markers, compiled into a throwaway catalogue; every patient
  page and every patient email is rendered in it, and any visible text outside the markers (other than
  names, numbers, dates Babel writes, and the clinic's own details) is a string nobody marked.
"""

import re
import subprocess
import sys
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from booking.extensions import db
from booking.models import ConsultationRequest, Notification
from tests.conftest import valid_answers

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted((ROOT / "booking" / "translations").glob("*/LC_MESSAGES/messages.po"))
PYBABEL = Path(sys.executable).parent / "pybabel"
OPEN, CLOSE = "⟦", "⟧"
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)


def extract(pot: Path) -> None:
    subprocess.run([str(PYBABEL), "extract", "-F", "babel.cfg", "-k", "lazy_gettext", "-k", "_l",
                    "--no-location", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=120)


def test_there_is_a_spanish_catalogue():
    assert [p.parent.parent.name for p in CATALOGUES] == ["es"]


def test_the_catalogue_is_up_to_date_with_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    extract(pot)
    # Babel's --check also compares the header's creation date: give the fresh .pot the catalogue's, so
    # only a change in the messages themselves counts.
    stamp = re.search(r'"POT-Creation-Date: [^"]*"', CATALOGUES[0].read_text(encoding="utf-8")).group(0)
    pot.write_text(re.sub(r'"POT-Creation-Date: [^"]*"', lambda _: stamp, pot.read_text(encoding="utf-8")),
                   encoding="utf-8")
    done = subprocess.run([str(PYBABEL), "update", "--check", "--no-fuzzy-matching", "-i", str(pot),
                           "-d", "booking/translations", "-l", "es"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, ("messages.po is out of date: run the extract/update commands in "
                                  "docs/translation.md\n" + done.stdout + done.stderr)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_every_message_is_translated_and_none_is_fuzzy(po):
    with po.open("rb") as fh:
        catalog = read_po(fh)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
    for message, errors in catalog.check():
        problems.extend(f"{message.id!r}: {error}" for error in errors)
    assert problems == []


# --- the pseudo-locale ------------------------------------------------------------------------------

def _wrap(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}" if text else text


@pytest.fixture(scope="module")
def pseudo_catalogue(tmp_path_factory):
    """Every msgid, 'translated' as itself inside markers, compiled as the es catalogue of a throwaway dir."""
    folder = tmp_path_factory.mktemp("pseudo")
    pot = folder / "messages.pot"
    extract(pot)
    with pot.open("rb") as fh:
        catalog = read_po(fh, locale="es")
    for message in catalog:
        if message.id:
            if isinstance(message.id, (list, tuple)):  # every plural form the locale has (Spanish: 3)
                message.string = tuple(_wrap(message.id[min(form, 1)]) for form in range(catalog.num_plurals))
            else:
                message.string = _wrap(message.id)
    target = folder / "es" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    return folder


class _Visible(HTMLParser):
    """Text a person sees or hears: text nodes and the attributes screen readers read, by language."""

    SKIP = {"script", "style"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._foreign = []  # elements whose lang is neither es (the page) nor empty: not ours to check

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.SKIP:
            self._skip += 1
        lang = attrs.get("lang")
        inherited = self._foreign[-1] if self._foreign else False
        self._foreign.append(bool(lang and not lang.startswith("es")) or inherited)
        if not self._hidden():
            for name in ("alt", "aria-label", "placeholder", "title"):
                if attrs.get(name):
                    self.parts.append(attrs[name])
            if tag == "meta" and attrs.get("name") == "description":
                self.parts.append(attrs.get("content", ""))
        if tag in {"br", "img", "input", "link", "meta", "hr"}:
            self._foreign.pop()
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip -= 1
        if self._foreign:
            self._foreign.pop()
        self.parts.append(" ")

    def handle_data(self, data):
        if not self._hidden():
            self.parts.append(data)

    def _hidden(self) -> bool:
        return self._skip > 0 or bool(self._foreign and self._foreign[-1])


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "".join(parser.parts)


def unmarked(text: str, allowed: list[str]) -> list[str]:
    """What is left of the text once marked spans, allowed details and things nobody translates are taken out."""
    innermost = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
    while innermost.search(text):  # a translation may hold another (a link's words inside a sentence)
        text = innermost.sub(" ", text)
    for detail in sorted(filter(None, allowed), key=len, reverse=True):
        text = text.replace(detail, " ")
    text = re.sub(r"https?://\S+|\S+@\S+|JPT-[0-9A-Z]{4}-[0-9A-Z]{4}", " ", text)
    words = re.findall(r"[^\W\d_]{2,}", text)
    return [word for word in words if word.lower() not in BABEL_WORDS]


# Day and month names and the like, which Babel writes in Spanish itself (CLDR), not our catalogue.
BABEL_WORDS = {"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo", "de", "enero", "febrero",
               "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre",
               "diciembre", "español", "english",
               "lun", "mar", "mié", "jue", "vie", "sáb", "dom"}  # the picker's row of days ("EEE")


def clinic_details(app) -> list[str]:
    """What the clinic writes itself (settings, and the language-help notices, each in its own language)."""
    from booking.public.language_help import language_notices

    cfg = app.config
    from booking.templating import keep_together

    # As the page draws them: each phone number kept on one line (a span the visible text spaces out).
    notices = [visible_text(keep_together(n.text)) for n in language_notices(cfg["LANGUAGE_ASSISTANCE"], cfg["CLINIC_PHONE"])]
    return [cfg["CLINIC_NAME"], cfg["CLINIC_PHONE"], cfg["CLINIC_PUBLIC_EMAIL"], cfg["CLINIC_EMERGENCY_NUMBER"],
            cfg["CLINIC_RESPONSE_TIME_ES"], *cfg["CLINIC_ADDRESS"], *cfg["CLINIC_HOURS_ES"], "Avery Lee", *notices]


def forget_catalogues() -> None:
    """Empty Flask-Babel's catalogue cache, if it has made one yet (it is made inside the first app)."""
    from booking.i18n import babel

    domain = vars(babel).get("domain_instance")  # a cached_property: absent until first used
    if domain is not None:
        domain.cache.clear()


@pytest.fixture
def pseudo_app(make_app, pseudo_catalogue):
    """An app reading the pseudo catalogue. Flask-Babel caches catalogues by locale alone, in the one
    module-level Babel every app shares: empty that cache on the way in and out, or whichever app ran
    first in this process decides what "es" means for the other."""
    forget_catalogues()
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(pseudo_catalogue), MAIL_SERVER="")
    with app.app_context():
        from booking.models import Practitioner

        db.session.add(Practitioner(name="Avery Lee", hours="mon-fri 09:00-12:00"))
        db.session.commit()
    yield app
    forget_catalogues()


PATIENT_PAGES = ["/es/", "/es/privacy", "/es/language-help", "/es/consultation", "/es/no-such-page"]


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_every_patient_page_is_marked_for_translation(pseudo_app, path):
    with time_machine.travel(NOW, tick=False):
        page = pseudo_app.test_client().get(path).get_data(as_text=True)
    assert 'lang="es"' in page
    assert unmarked(visible_text(page), clinic_details(pseudo_app)) == []


def test_the_form_with_errors_and_the_sent_page_are_marked(pseudo_app):
    client = pseudo_app.test_client()
    with time_machine.travel(NOW, tick=False):
        errors = client.post_form("/es/consultation", {"name": "Ana"}).get_data(as_text=True)
        assert unmarked(visible_text(errors), clinic_details(pseudo_app) + ["Ana"]) == []
        sent = client.post_form("/es/consultation", valid_answers(slot="2027-03-11T09:00:00-05:00"))
        assert sent.status_code == 303, sent.get_data(as_text=True)[:3000]
        page = client.get("/es/consultation/sent").get_data(as_text=True)
    assert unmarked(visible_text(page), clinic_details(pseudo_app)) == []


def check_emails(app, consultation, kinds: set) -> None:
    """Build every email owed to a patient now and check each part of it; note which kinds were seen."""
    from booking.outbox.registry import build_message

    for notification in db.session.execute(db.select(Notification)).scalars():
        if notification.kind.startswith("clinic_"):
            continue  # the clinic reads English
        message = build_message(notification)
        if message is None:
            continue
        kinds.add(notification.kind)
        details = clinic_details(app) + ["Ana Ruiz", consultation.reference]
        for text in (message.subject, message.body, visible_text(message.html)):
            assert unmarked(text, details) == [], (notification.kind, text)


def test_every_patient_email_is_marked_for_translation(pseudo_app):
    from booking.lifecycle import operations

    client = pseudo_app.test_client()
    with time_machine.travel(NOW, tick=False):
        assert client.post_form("/es/consultation", valid_answers(
            slot="2027-03-11T09:00:00-05:00", name="Ana Ruiz")).status_code == 303
        waiting = pseudo_app.test_client()
        assert waiting.post_form("/es/consultation", valid_answers(
            slot="none", waitlist="y", name="Ana Ruiz", email="ana2@example.org")).status_code == 303
        with pseudo_app.app_context():
            consultation = db.session.execute(db.select(ConsultationRequest).filter_by(
                email="maria@example.org")).scalar_one()
            appointment = consultation.appointment
            kinds = set()
            operations.confirm_time(consultation, operations.SYSTEM)
            db.session.commit()
            check_emails(pseudo_app, consultation, kinds)  # the confirmation, while it still stands
            operations.cancel_time(consultation)
            db.session.commit()
            check_emails(pseudo_app, consultation, kinds)
    assert {"patient_acknowledgement", "appointment_confirmed", "appointment_cancelled",
            "waitlist_offer"} <= kinds


def test_the_appointment_pages_are_marked(pseudo_app):
    """The manage page, its change picker (with an error too), and a freed time, taken or free, all marked."""
    from urllib.parse import urlsplit

    from booking.appointments.links import manage_url
    from booking.models import Practitioner, WaitlistEntry
    from tests.appointment_helpers import offered_link
    from tests.factories import first_free_time, make_confirmed_appointment, make_request

    client = pseudo_app.test_client()
    with time_machine.travel(NOW, tick=False):
        with pseudo_app.app_context():
            practitioner = db.session.execute(db.select(Practitioner)).scalar_one()
            appointment = make_confirmed_appointment(make_request(language="es"), practitioner=practitioner)
            held = appointment.starts_at.replace(tzinfo=timezone.utc)
            waiting = make_request(language="es", email="ana2@example.org", notifications=False)
            db.session.add(WaitlistEntry(consultation_request=waiting))
            db.session.commit()
            free = first_free_time(practitioner.id).start
            manage = urlsplit(manage_url(appointment)).path
            freed = [urlsplit(offered_link(waiting, practitioner.id, start)).path for start in (free, held)]
        assert manage.startswith("/es/")
        pages = [client.get(path) for path in (manage, manage + "/change", *freed)]
        pages.append(client.post_form(manage + "/change", {"slot": "nonsense"}))
    for response in pages:
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'lang="es"' in page and OPEN in page
        assert unmarked(visible_text(page), clinic_details(pseudo_app)) == [], page[:3000]
    # Each state was really shown: a free time, then one already taken, then the picker's error.
    assert f"{OPEN}A consultation time has come free{CLOSE}" in pages[2].get_data(as_text=True)
    assert f"{OPEN}Someone was quicker{CLOSE}" in pages[3].get_data(as_text=True)
    assert f"{OPEN}Choose one of the times listed.{CLOSE}" in pages[4].get_data(as_text=True)
