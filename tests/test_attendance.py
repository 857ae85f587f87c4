"""Attendance: arrived, no-show or cancelled late, marked once the time has started, undone the same day."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from booking.appointments.operations import attendance
from booking.extensions import db
from booking.lifecycle import operations
from booking.models import Appointment, RequestEvent, StaffUser
from booking.staff.operations.accounts import create_staff
from booking.states import AppointmentStatus, Attendance
from tests.factories import PASSWORD, make_appointment_at, make_practitioner
from tests.fixtures.staff import log_in, set_up_two_step_in_browser
from tests.test_browser import assert_accessible, assert_no_sideways_scroll, browser, live_app  # noqa: F401

# Monday 15 March 2027, 9:10 am in New York (after the clocks went forward on the 14th).
NOW = datetime(2027, 3, 15, 13, 10, tzinfo=UTC)
NINE = datetime(2027, 3, 15, 13, 0)        # 9:00 am, stored naive UTC: started ten minutes ago
ELEVEN = datetime(2027, 3, 15, 15, 0)      # 11:00 am: not started yet


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def day(app, clock):
    """Avery's two confirmed consultations today: one started, one to come."""
    with app.app_context():
        avery = make_practitioner("Avery Lee")
        started = make_appointment_at(avery, NINE, status=AppointmentStatus.CONFIRMED)
        later = make_appointment_at(avery, ELEVEN, status=AppointmentStatus.CONFIRMED)
        return {"started": started.consultation_request.reference, "later": later.consultation_request.reference}


def appointment_of(app, reference: str) -> Appointment:
    with app.app_context():
        found = db.session.execute(db.select(Appointment).join(Appointment.consultation_request)
                                   .where(text("consultation_request.reference = :r")).params(r=reference)).scalar_one()
        db.session.expunge(found)
        return found


def history(app, reference: str) -> list[tuple[str | None, str]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(StaffUser.email, RequestEvent.note).select_from(RequestEvent)
            .outerjoin(StaffUser, StaffUser.id == RequestEvent.staff_id)
            .join(RequestEvent.consultation_request).where(text("consultation_request.reference = :r"))
            .params(r=reference).order_by(RequestEvent.id)).all()
        return [tuple(row) for row in rows]


def post(client, path: str, data: dict):
    """POST as a button on the request's page would, with a CSRF token from that page."""
    token = client.csrf_token(f"/staff/requests/{path.split('/')[3]}")
    return client.post(path, data={**data, "csrf_token": token})


def test_the_agenda_offers_the_marks_only_once_the_time_has_started(app, day, desk):
    page = desk.get("/staff/agenda?day=2027-03-15").get_data(as_text=True)
    started = page[page.index(day["started"]):page.index(day["later"])]
    later = page[page.index(day["later"]):]
    for words in ("Arrived", "No-show", "Cancelled late"):
        assert f">{words}<span" in started and f">{words}<span" not in later


def test_arrived_is_recorded_with_who_and_when_and_the_desk_comes_back_to_the_agenda(app, day, desk):
    response = post(desk, f"/staff/requests/{day['started']}/attendance",
                    {"outcome": "arrived", "agenda_day": "2027-03-15", "agenda_view": "day"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/agenda?day=2027-03-15&view=day"
    appointment = appointment_of(app, day["started"])
    assert appointment.attendance is Attendance.ARRIVED and appointment.attendance_at == NOW.replace(tzinfo=None)
    assert history(app, day["started"]) == [
        ("desk@clinic.test", "Marked the consultation Monday 15 March, 9:00 am as arrived.")]
    agenda = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{day['started']}: marked arrived." in agenda and 'badge--arrived">Arrived</span>' in agenda
    page = desk.get(f"/staff/requests/{day['started']}").get_data(as_text=True)
    assert 'badge--arrived">Arrived</span>' in page and ">Undo<span" in page


def test_a_second_mark_is_refused_until_the_first_is_undone_the_same_day(app, day, desk, clock):
    path = f"/staff/requests/{day['started']}/attendance"
    assert post(desk, path, {"outcome": "no_show"}).status_code == 303
    refused = post(desk, path, {"outcome": "arrived"})
    assert refused.headers["Location"] == f"/staff/requests/{day['started']}"
    assert "Undo that first" in desk.get(refused.headers["Location"]).get_data(as_text=True)
    assert appointment_of(app, day["started"]).attendance is Attendance.NO_SHOW
    clock.move_to(NOW + timedelta(hours=3))  # the patient turns up late after all
    assert post(desk, f"{path}/undo", {}).status_code == 303
    assert appointment_of(app, day["started"]).attendance is None
    assert post(desk, path, {"outcome": "arrived"}).status_code == 303
    assert [note for _, note in history(app, day["started"])] == [
        "Marked the consultation Monday 15 March, 9:00 am as no-show.",
        "Undid the mark “no-show” on the consultation Monday 15 March, 9:00 am.",
        "Marked the consultation Monday 15 March, 9:00 am as arrived.",
    ]


def test_a_mark_cannot_be_undone_the_next_day(app, day, desk, clock):
    path = f"/staff/requests/{day['started']}/attendance"
    assert post(desk, path, {"outcome": "arrived"}).status_code == 303
    clock.move_to(datetime(2027, 3, 16, 4, 5, tzinfo=UTC))  # 12:05 am on Tuesday in New York
    assert log_in(desk, "desk@clinic.test").status_code == 303  # a new day's sign-in
    page = desk.get(f"/staff/requests/{day['started']}").get_data(as_text=True)
    assert 'badge--arrived">Arrived</span>' in page and ">Undo<span" not in page
    refused = post(desk, f"{path}/undo", {})
    assert "only on the day it was made" in desk.get(refused.headers["Location"]).get_data(as_text=True)
    assert appointment_of(app, day["started"]).attendance is Attendance.ARRIVED
    assert len(history(app, day["started"])) == 1


@pytest.mark.parametrize("data, message", [
    ({"outcome": "arrived"}, "has not started yet"),
    ({"outcome": "here"}, "Choose Arrived, No-show or Cancelled late."),
    ({}, "Choose Arrived, No-show or Cancelled late."),
])
def test_a_mark_too_early_or_unknown_changes_nothing(app, day, desk, data, message):
    response = post(desk, f"/staff/requests/{day['later']}/attendance", data)
    assert response.status_code == 303
    assert message in desk.get(response.headers["Location"]).get_data(as_text=True)
    assert appointment_of(app, day["later"]).attendance is None and history(app, day["later"]) == []


def test_no_appointment_is_404(app, desk, reference):
    assert post(desk, f"/staff/requests/{reference}/attendance", {"outcome": "arrived"}).status_code == 404
    token = desk.csrf_token(f"/staff/requests/{reference}")
    assert desk.post("/staff/requests/JPT-XXXX-XXXX/attendance/undo", data={"csrf_token": token}).status_code == 404


def test_of_two_desks_marking_at_once_one_mark_stands(app, day, desk):
    """The second desk's page (and session) still shows no mark; the database refuses its UPDATE."""
    with app.app_context():
        stale = db.session.execute(db.select(Appointment).where(Appointment.starts_at == NINE)).scalar_one()
        other = db.session.execute(db.select(StaffUser).filter_by(email="boss@clinic.test")).scalar_one()
        assert stale.attendance is None
        assert post(desk, f"/staff/requests/{day['started']}/attendance", {"outcome": "arrived"}).status_code == 303
        with pytest.raises(attendance.AttendanceRefused, match="just marked this consultation: Arrived"):
            attendance.mark(stale, Attendance.NO_SHOW, other)
        db.session.rollback()
    assert appointment_of(app, day["started"]).attendance is Attendance.ARRIVED
    assert len(history(app, day["started"])) == 1


def test_a_patient_cancelling_inside_the_cutoff_counts_as_cancelled_late(app, clock):
    """The patient's cancel (booking/lifecycle/operations.cancel_time) calls the hook in its transaction."""
    with app.app_context():
        avery = make_practitioner("Avery Lee")
        tomorrow_morning = make_appointment_at(avery, NINE + timedelta(hours=20), status=AppointmentStatus.CONFIRMED)
        next_week = make_appointment_at(avery, NINE + timedelta(days=7), status=AppointmentStatus.CONFIRMED)
        operations.cancel_time(tomorrow_morning.consultation_request)  # 20 hours ahead, inside the 24-hour cut-off
        operations.cancel_time(next_week.consultation_request)
        db.session.commit()
        late, early = (db.session.get(Appointment, a.id) for a in (tomorrow_morning, next_week))
        assert late.status is AppointmentStatus.CANCELLED and late.attendance is Attendance.CANCELLED_LATE
        assert early.status is AppointmentStatus.CANCELLED and early.attendance is None
        references = late.consultation_request.reference, early.consultation_request.reference
    late_lines = [line for line in history(app, references[0]) if "cancelled late" in line[1]]
    assert late_lines == [
        (None, "The patient cancelled the consultation Tuesday 16 March, 5:00 am less than 24 hours before it: "
               "counted as cancelled late.")]
    assert [line for line in history(app, references[1]) if "cancelled late" in line[1]] == []


def test_a_cancellation_by_staff_is_not_counted_by_the_hook(app, clock):
    with app.app_context():
        appointment = make_appointment_at(make_practitioner(), NINE + timedelta(hours=2),
                                          status=AppointmentStatus.CONFIRMED)
        operations.cancel_time(appointment.consultation_request, by=operations.SYSTEM)
        db.session.commit()
        assert db.session.get(Appointment, appointment.id).attendance is None


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_db_app(request, tmp_path, make_app):
    if request.param == "sqlite":
        return make_app()
    url = request.getfixturevalue("postgres").create_database(f"attendance_{abs(hash(tmp_path)) % 10**8}")
    return make_app(SQLALCHEMY_DATABASE_URI=url)


def test_the_database_refuses_an_attendance_that_is_not_one_of_the_three(migrated_db_app):
    app = migrated_db_app
    with app.app_context():
        appointment = make_appointment_at(make_practitioner(), NINE)
        for value in ("arrived", "no_show", "cancelled_late", None):
            db.session.execute(text("update appointment set attendance = :v where id = :id"),
                               {"v": value, "id": appointment.id})
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(text("update appointment set attendance = 'arived' where id = :id"),
                               {"id": appointment.id})
        db.session.rollback()


def test_marking_in_chromium_from_the_agenda_and_undoing_on_the_request_page_with_axe(browser, live_app):  # noqa: F811
    app, base = live_app
    with time_machine.travel(NOW, tick=True):
        with app.app_context():
            create_staff("desk@clinic.test", PASSWORD)
            db.session.commit()
            avery = make_practitioner("Avery Lee")
            reference = make_appointment_at(avery, NINE, status=AppointmentStatus.CONFIRMED).consultation_request.reference
            make_appointment_at(avery, ELEVEN, status=AppointmentStatus.CONFIRMED)
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        page.goto(f"{base}/staff/login")
        page.get_by_label("Email address").fill("desk@clinic.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        set_up_two_step_in_browser(page)
        page.goto(f"{base}/staff/agenda?day=2027-03-15")
        assert_accessible(page, "the agenda with a consultation to mark")
        assert_no_sideways_scroll(page, "the agenda with a consultation to mark")
        page.get_by_role("button", name=f"Arrived for {reference}").click()
        expect(page.get_by_role("status")).to_contain_text(f"{reference}: marked arrived.")
        assert_accessible(page, "the agenda after marking")
        page.get_by_role("link", name=reference).click()
        expect(page.get_by_role("region", name="Attendance")).to_contain_text("Arrived")
        assert_accessible(page, "the request page with its mark")
        page.get_by_role("button", name=f"Undo “Arrived” for {reference}").click()
        expect(page.get_by_role("status")).to_contain_text("the mark is undone")
        expect(page.get_by_role("button", name=f"No-show for {reference}")).to_be_visible()
        context.close()
