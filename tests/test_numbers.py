"""/staff/numbers: a seeded fortnight's figures, checked one by one on SQLite and PostgreSQL, page and CSV alike."""

import csv
import io
import itertools
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import time_machine
from playwright.sync_api import expect

from booking.extensions import db
from booking.models import RequestEvent, WaitlistEntry
from booking.numbers.figures import one_business_day_after
from booking.numbers.queries import last_weeks
from booking.staff.operations.accounts import create_staff
from booking.states import AppointmentStatus, Attendance, WaitlistStatus
from tests.factories import PASSWORD, make_appointment_at, make_notification, make_practitioner, make_request
from tests.fixtures.staff import log_in, set_up_two_step_in_browser
from tests.test_browser import assert_accessible, assert_no_sideways_scroll, browser, live_app  # noqa: F401

# Wednesday 17 March 2027, 11:00 am in New York. This week starts Monday 15 March; the twelve weeks shown
# start Monday 28 December 2026. The clocks went forward on Sunday 14 March, inside the week of 8 March.
NOW = datetime(2027, 3, 17, 15, 0, tzinfo=UTC)
PLANTAR, BACK = "plantar_fasciitis", "lower_back"
PLANTAR_LABEL, BACK_LABEL = "Plantar fasciitis (heel or arch pain)", "Lower back pain"
_names = itertools.count()


def at(text: str) -> datetime:
    """A stored (naive UTC) time from 'YYYY-MM-DD HH:MM' in UTC."""
    return datetime.fromisoformat(text)


def seed(app) -> dict[str, str]:
    """Five requests over the last fortnight, and one just before the twelve weeks (which must not count).

    week of 8 March   R1 en plantar: desk acts after 2 h; confirmed the same day; came (Thu 11 March).
                      R2 es back:    received Friday 10:00; acted on after 4 h; confirmed Monday 9:00 (inside
                                     one business day: due Monday 10:00, across the clock change); no-show
                                     on Monday 15 March.
                      R3 es plantar: no action yet, no time; on the waiting list; offered a time on 10 March.
    week of 15 March  R4 en back:    the app writes a line after 10 min (not a staff action); desk after 1 h;
                                     held, never confirmed; cancelled late on Tuesday 16 March.
                      R5 es plantar: desk after 6 h; confirmed 26 h later (past one business day); offered two
                                     times from the waiting list on the 16th and took one.
    """
    with app.app_context():
        desk = create_staff(f"desk{next(_names)}@clinic.test", PASSWORD)
        db.session.commit()
        avery = make_practitioner("Avery Lee")

        def request(created, condition, language, **extra):
            return make_request(notifications=False, created_at=at(created), condition=condition, language=language,
                                **extra)

        def staff_action(consultation, when):
            db.session.add(RequestEvent(consultation_request=consultation, staff=desk, note="Called back.",
                                        created_at=at(when)))

        old = request("2026-12-28 04:59", PLANTAR, "en")  # 11:59 pm on Sunday 27 December in New York
        staff_action(old, "2026-12-28 06:00")
        r1 = request("2027-03-08 14:00", PLANTAR, "en")
        staff_action(r1, "2027-03-08 16:00")
        make_appointment_at(avery, at("2027-03-11 14:00"), consultation=r1, status=AppointmentStatus.CONFIRMED,
                            confirmed_at=at("2027-03-08 20:00"), attendance=Attendance.ARRIVED,
                            attendance_at=at("2027-03-11 14:05"))
        r2 = request("2027-03-12 15:00", BACK, "es")
        staff_action(r2, "2027-03-12 19:00")
        make_appointment_at(avery, at("2027-03-15 14:00"), consultation=r2, status=AppointmentStatus.CONFIRMED,
                            confirmed_at=at("2027-03-15 13:00"), attendance=Attendance.NO_SHOW,
                            attendance_at=at("2027-03-15 14:40"))
        r3 = request("2027-03-09 15:00", PLANTAR, "es")
        db.session.add(WaitlistEntry(consultation_request=r3, status=WaitlistStatus.WAITING))
        r4 = request("2027-03-15 16:00", BACK, "en")
        db.session.add(RequestEvent(consultation_request=r4, staff=None, note="Automatic line.",
                                    created_at=at("2027-03-15 16:10")))
        staff_action(r4, "2027-03-15 17:00")
        make_appointment_at(avery, at("2027-03-16 14:00"), consultation=r4, status=AppointmentStatus.HELD,
                            attendance=Attendance.CANCELLED_LATE, attendance_at=at("2027-03-16 13:00"))
        r5 = request("2027-03-15 18:00", PLANTAR, "es")
        staff_action(r5, "2027-03-16 00:00")
        db.session.add(WaitlistEntry(consultation_request=r5, status=WaitlistStatus.BOOKED))
        make_appointment_at(avery, at("2027-03-18 14:00"), consultation=r5, status=AppointmentStatus.CONFIRMED,
                            confirmed_at=at("2027-03-16 20:00"))
        db.session.commit()
        make_notification(r3, "waitlist_offer", created_at=at("2027-03-10 12:00"))
        make_notification(r5, "waitlist_offer", created_at=at("2027-03-16 12:00"))
        make_notification(r5, "waitlist_offer", created_at=at("2027-03-16 13:00"))
        make_notification(r1, "clinic_new_request", created_at=at("2027-03-08 14:00"))  # not a waitlist offer
        return {"names": ["Maria", "Lopez", "maria@example.org", "Sharp heel pain", "555-0123"]}


HEADINGS = ["Requests received", "Median hours to first staff action", "Requests with a time booked",
            "Share with a time booked (%)", "Confirmed within one business day",
            "Share confirmed within one business day (%)", "Arrived", "No-show", "Cancelled late",
            "Waitlist offers sent", "Waitlist offers taken"]
EMPTY_WEEK = ["0", "", "0", "", "0", "", "0", "0", "0", "0", "0"]
# Every figure, worked out by hand from the story in seed().
EXPECTED = {
    ("All", "All requests", "2027-03-08"): ["3", "3.0", "2", "66.7", "2", "66.7", "1", "0", "0", "1", "0"],
    ("All", "All requests", "2027-03-15"): ["2", "3.5", "2", "100.0", "0", "0.0", "0", "1", "1", "2", "1"],
    ("All", "All requests", "Total"): ["5", "3.0", "4", "80.0", "2", "40.0", "1", "1", "1", "3", "1"],
    ("Condition", PLANTAR_LABEL, "2027-03-08"): ["2", "2.0", "1", "50.0", "1", "50.0", "1", "0", "0", "1", "0"],
    ("Condition", PLANTAR_LABEL, "2027-03-15"): ["1", "6.0", "1", "100.0", "0", "0.0", "0", "0", "0", "2", "1"],
    ("Condition", PLANTAR_LABEL, "Total"): ["3", "4.0", "2", "66.7", "1", "33.3", "1", "0", "0", "3", "1"],
    ("Condition", BACK_LABEL, "2027-03-08"): ["1", "4.0", "1", "100.0", "1", "100.0", "0", "0", "0", "0", "0"],
    ("Condition", BACK_LABEL, "2027-03-15"): ["1", "1.0", "1", "100.0", "0", "0.0", "0", "1", "1", "0", "0"],
    ("Condition", BACK_LABEL, "Total"): ["2", "2.5", "2", "100.0", "1", "50.0", "0", "1", "1", "0", "0"],
    ("Language", "English", "2027-03-08"): ["1", "2.0", "1", "100.0", "1", "100.0", "1", "0", "0", "0", "0"],
    ("Language", "English", "2027-03-15"): ["1", "1.0", "1", "100.0", "0", "0.0", "0", "0", "1", "0", "0"],
    ("Language", "English", "Total"): ["2", "1.5", "2", "100.0", "1", "50.0", "1", "0", "1", "0", "0"],
    ("Language", "Spanish", "2027-03-08"): ["2", "4.0", "1", "50.0", "1", "50.0", "0", "0", "0", "1", "0"],
    ("Language", "Spanish", "2027-03-15"): ["1", "6.0", "1", "100.0", "0", "0.0", "0", "1", "0", "2", "1"],
    ("Language", "Spanish", "Total"): ["3", "5.0", "2", "66.7", "1", "33.3", "0", "1", "0", "3", "1"],
}
WEEKS = ["2026-12-28", "2027-01-04", "2027-01-11", "2027-01-18", "2027-01-25", "2027-02-01", "2027-02-08",
         "2027-02-15", "2027-02-22", "2027-03-01", "2027-03-08", "2027-03-15"]


@pytest.fixture(autouse=True)
def clinic_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic(request, make_app):
    """The app with the seeded fortnight, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        app = make_app()
    else:
        app = make_app(SQLALCHEMY_DATABASE_URI=request.getfixturevalue("postgres").create_database(
            f"numbers_{next(_names)}"))
    app.seeded = seed(app)
    with app.app_context():
        from tests.factories import make_staff
        make_staff("boss@clinic.test", is_admin=True)
        make_staff("desk@clinic.test")
    return app


def signed_in(app, email: str):
    client = app.test_client()
    assert log_in(client, email).status_code == 303
    return client


def csv_rows(client) -> list[list[str]]:
    response = client.get("/staff/numbers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'attachment; filename="numbers-week-of-2027-03-15.csv"' == response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_has_every_figure_right_week_by_week_and_in_total(clinic):
    rows = csv_rows(signed_in(clinic, "boss@clinic.test"))
    assert rows[0] == ["Split", "Group", "Week", *HEADINGS]
    found = {(kind, group, week): figures for kind, group, week, *figures in rows[1:]}
    groups = [("All", "All requests"), ("Condition", PLANTAR_LABEL), ("Condition", BACK_LABEL),
              ("Language", "English"), ("Language", "Spanish")]
    assert set(found) == {(kind, group, week) for kind, group in groups for week in [*WEEKS, "Total"]}
    for key, figures in found.items():
        assert figures == EXPECTED.get(key, EMPTY_WEEK), key


class Tables(HTMLParser):
    """Each <table> on the page by its caption: rows of cell texts, headers included."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption = self._cell = None
        self._row: list[str] | None = None
        self._current: list[list[str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._current = []
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._caption is not None:
            self._caption += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr":
            self._current.append(self._row)
            self._row = None
        elif tag == "caption":
            self._name = " ".join(self._caption.split())
            self._caption = None
        elif tag == "table":
            self.tables[self._name] = self._current


def test_the_page_shows_the_same_figures_as_the_csv_in_tables_and_charts(clinic):
    client = signed_in(clinic, "boss@clinic.test")
    response = client.get("/staff/numbers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Tables(html)
    weekly = page.tables["Every figure, week by week and in total"]
    assert weekly[0] == ["Week", *HEADINGS]
    dash = lambda figures: [f or "–" for f in figures]  # noqa: E731  (the page writes a dash for "none")
    assert weekly[-3][1:] == dash(EXPECTED[("All", "All requests", "2027-03-08")])
    assert weekly[-2][1:] == dash(EXPECTED[("All", "All requests", "2027-03-15")])
    assert weekly[-1] == ["Total", *dash(EXPECTED[("All", "All requests", "Total")])]
    assert weekly[1] == ["Week of 2026-12-28", *dash(EMPTY_WEEK)]
    by_condition = page.tables["Every figure by condition, last 12 weeks"]
    assert by_condition[1:] == [[PLANTAR_LABEL, *dash(EXPECTED[("Condition", PLANTAR_LABEL, "Total")])],
                                [BACK_LABEL, *dash(EXPECTED[("Condition", BACK_LABEL, "Total")])]]
    by_language = page.tables["Every figure by the patient's language, last 12 weeks"]
    assert by_language[1:] == [["Spanish", *dash(EXPECTED[("Language", "Spanish", "Total")])],
                               ["English", *dash(EXPECTED[("Language", "English", "Total")])]]
    # Each chart is an SVG with a title, and a table of its own figures beside it.
    assert html.count("<svg") == 7 and html.count("<title id=") == 7
    attendance = page.tables["Attendance each week: the figures"]
    assert attendance[0] == ["Week", "Arrived", "No-show", "Cancelled late"]
    assert attendance[-2:] == [["Week of 2027-03-08", "1", "0", "0"], ["Week of 2027-03-15", "0", "1", "1"]]
    shares = page.tables["Share of requests with a time booked, and confirmed within one business day: the figures"]
    assert shares[-1] == ["Week of 2027-03-15", "100 %", "0 %"] and shares[1] == ["Week of 2026-12-28", "–", "–"]
    assert page.tables["Median hours to the first staff action: the figures"][-2:] == [
        ["Week of 2027-03-08", "3 h"], ["Week of 2027-03-15", "3.5 h"]]
    assert page.tables["Requests by condition, last 12 weeks: the figures"][1:] == [
        [PLANTAR_LABEL, "3", "2"], [BACK_LABEL, "2", "2"]]
    for private in clinic.seeded["names"]:
        assert private not in html


def test_nobody_but_an_administrator_sees_the_numbers(clinic):
    desk = signed_in(clinic, "desk@clinic.test")
    assert desk.get("/staff/numbers").status_code == 403
    assert desk.get("/staff/numbers.csv").status_code == 403
    assert "/staff/numbers" not in desk.get("/staff").get_data(as_text=True)
    stranger = clinic.test_client()
    assert stranger.get("/staff/numbers").headers["Location"].startswith("/staff/login")
    assert stranger.get("/staff/numbers.csv").headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("received, due", [
    ("2027-03-08 14:00", "2027-03-09 14:00"),  # Monday 9:00 -> Tuesday 9:00
    ("2027-03-12 15:00", "2027-03-15 14:00"),  # Friday 10:00 EST -> Monday 10:00 EDT, across the clock change
    ("2027-03-13 15:00", "2027-03-15 14:00"),  # Saturday -> Monday
    ("2027-03-14 15:00", "2027-03-15 15:00"),  # Sunday 11:00 EDT -> Monday 11:00
])
def test_one_business_day_is_the_same_clock_time_on_the_next_weekday(received, due):
    from zoneinfo import ZoneInfo
    assert one_business_day_after(at(received), ZoneInfo("America/New_York")) == at(due)


def test_the_weeks_start_at_local_midnight_on_mondays_across_the_clock_change(app):
    from datetime import date
    with app.app_context():
        weeks = last_weeks(date(2027, 3, 17))
    assert weeks.firsts[0] == date(2026, 12, 28) and weeks.firsts[-1] == date(2027, 3, 15)
    assert weeks.edges[-3] == at("2027-03-08 05:00") and weeks.edges[-2] == at("2027-03-15 04:00")
    assert weeks.index_of(at("2027-03-15 03:59")) == 10 and weeks.index_of(at("2027-03-15 04:00")) == 11


def test_numbers_in_chromium_with_axe(browser, live_app):  # noqa: F811
    app, base = live_app
    with time_machine.travel(NOW, tick=True):
        seed(app)
        with app.app_context():
            create_staff("boss@clinic.test", PASSWORD, is_admin=True)
            db.session.commit()
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        page.goto(f"{base}/staff/login")
        page.get_by_label("Email address").fill("boss@clinic.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        set_up_two_step_in_browser(page)
        page.get_by_role("link", name="Numbers").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Numbers: the last 12 weeks")
        expect(page.get_by_role("img", name=re.compile("^Attendance each week"))).to_be_visible()
        assert_accessible(page, "the numbers page")
        assert_no_sideways_scroll(page, "the numbers page")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download these numbers (CSV)").click()
        assert download.value.suggested_filename == "numbers-week-of-2027-03-15.csv"
        context.close()


def test_the_first_moment_a_time_is_confirmed_is_kept(make_app, clinic_clock):
    """Whoever confirms (the desk, or at once with BOOKING_AUTO_CONFIRM), confirmed_at is when it first happened."""
    from booking.appointments import operations as appointment_operations
    from booking.models import Appointment

    app = make_app(BOOKING_AUTO_CONFIRM=True)
    with app.app_context():
        avery = make_practitioner("Avery Lee", "mon-sun 08:00-18:00")
        held = make_appointment_at(avery, at("2027-03-19 14:00"))
        assert held.confirmed_at is None
        clinic_clock.move_to(datetime(2027, 3, 17, 16, 0, tzinfo=UTC))
        appointment_operations.confirm(held)
        assert db.session.get(Appointment, held.id).confirmed_at == at("2027-03-17 16:00")
        clinic_clock.move_to(datetime(2027, 3, 17, 17, 0, tzinfo=UTC))
        # still confirmed: the first moment stays
        appointment_operations.move(held, datetime(2027, 3, 22, 14, 0, tzinfo=UTC))
        assert db.session.get(Appointment, held.id).confirmed_at == at("2027-03-17 16:00")
        unflagged = make_request(notifications=False, screening_flags=["none"], flagged=False)
        at_once = appointment_operations.hold_time(unflagged, datetime(2027, 3, 23, 14, 0, tzinfo=UTC), avery.id)
        db.session.commit()
        assert at_once.status is AppointmentStatus.CONFIRMED and at_once.confirmed_at == at("2027-03-17 17:00")


def test_an_empty_clinic_has_numbers_too(app, boss):
    page = boss.get("/staff/numbers").get_data(as_text=True)
    assert "Nothing in these weeks yet." in page and page.count("<svg") == 5
    rows = csv_rows(boss)
    assert len(rows) == 1 + 13 and all(row[3:] == EMPTY_WEEK for row in rows[1:])
