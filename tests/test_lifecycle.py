"""One life for a request and its time: every actor goes through booking/lifecycle/operations.py, and the front
desk sees all of it (history with who and when, the clinic's emails, the status, attention, names)."""

import re
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

from booking.appointments.queries import week_of_times
from booking.appointments.links import manage_url
from booking.appointments.slots import parse_slot_value
from booking.formatting import slot_label
from booking.clock import clinic_zone
from booking.extensions import db
from booking.models import Appointment, ConsultationRequest, Notification, RequestEvent
from booking.states import Actor, AppointmentStatus, RequestStatus
from tests.appointment_helpers import NEXT_WEEK, clock, send_mail, to, with_subject  # noqa: F401 (clock: a fixture)
from tests.conftest import open_form, valid_answers
from tests.factories import make_practitioner

pytestmark = pytest.mark.usefixtures("clock")
CLINIC = "frontdesk@clinic.test"


def free_values(app) -> list[str]:
    with app.app_context():
        return [t.value for _, times in week_of_times(NEXT_WEEK).days for t in times]


def label_of(app, value: str) -> str:
    with app.app_context():
        return slot_label(parse_slot_value(value, clinic_zone()), clinic_zone())


def book(app, client, slot: str, **changes) -> str:
    """The patient sends the form with a time chosen; returns the reference."""
    response = client.post("/consultation", data={**open_form(client), **valid_answers(slot=slot, **changes)})
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        return db.session.execute(db.select(ConsultationRequest.reference)
                                  .order_by(ConsultationRequest.id.desc())).scalars().first()


def the_request(app, reference: str) -> ConsultationRequest:
    return db.session.execute(db.select(ConsultationRequest).filter_by(reference=reference)).scalar_one()


def patient_path(app, reference: str) -> str:
    with app.app_context():
        return urlsplit(manage_url(the_request(app, reference).appointment)).path


@pytest.fixture
def app(make_app):
    """The production default: the clinic's emails carry no names or patient's words (NOTIFY_DETAILS=minimal)."""
    return make_app(NOTIFY_DETAILS="minimal")


@pytest.fixture
def practitioner(app):
    with app.app_context():
        return make_practitioner("Avery Lee").id


def test_book_confirm_move_cancel_is_one_life_the_desk_sees(app, desk, practitioner, smtp, runner):
    patient = app.test_client()
    first, second = free_values(app)[:2]
    reference = book(app, patient, first)
    with app.app_context():
        assert the_request(app, reference).status is RequestStatus.NEW

    # Staff confirm: the request is scheduled, the "new" count drops, the agenda shows her name.
    page = f"/staff/requests/{reference}"
    assert desk.get("/staff").get_data(as_text=True).count("1 new") >= 1
    assert desk.post_form(f"{page}/time/confirm", page=page).status_code == 303
    send_mail(runner)
    with app.app_context():
        assert the_request(app, reference).status is RequestStatus.SCHEDULED
    inbox = desk.get("/staff").get_data(as_text=True)
    assert "0 new" in inbox and "Maria Lopez" in inbox
    agenda = desk.get("/staff/agenda?day=2027-03-08&view=week").get_data(as_text=True)
    assert "Maria Lopez\n      (<a" in agenda and reference in agenda

    # The patient moves, then cancels (with a reason), from their private link.
    path = patient_path(app, reference)
    moved = patient.post_form(path + "/change", {"slot": second}, page=path + "/change")
    assert moved.status_code == 303
    # Moving renews the private link: the old one (perhaps forwarded) stops at once; the page goes on at the new.
    old_path, path = path, urlsplit(moved.headers["Location"]).path
    assert path != old_path and patient.get(old_path).status_code == 404
    send_mail(runner)
    with app.app_context():
        consultation = the_request(app, reference)
        assert consultation.status is RequestStatus.SCHEDULED and consultation.attention_since is not None
    assert "1 needs attention" in desk.get("/staff").get_data(as_text=True)
    question = patient.get(path + "/cancel").get_data(as_text=True)
    assert f"Cancel your consultation on {label_of(app, second)}?" in re.sub(r"</?span[^>]*>", "", question)  # date, time kept whole
    cancelled = patient.post_form(path + "/cancel", {"reason": "Feeling better"}, page=path + "/cancel")
    assert cancelled.status_code == 303
    after = patient.get(path).get_data(as_text=True)
    assert "This consultation is cancelled" in after and 'href="/consultation">Request a new time' in after

    with app.app_context():
        consultation = the_request(app, reference)
        assert consultation.status is RequestStatus.CONTACTED  # its time is gone: back in front of the desk
        assert consultation.appointment.status is AppointmentStatus.CANCELLED
        lines = [(e.actor, e.staff.email if e.staff else None, e.from_status, e.to_status,
                  e.time_from is not None, e.time_to is not None) for e in consultation.events]
    assert lines == [
        (Actor.STAFF, "desk@clinic.test", RequestStatus.NEW, RequestStatus.SCHEDULED, False, True),
        (Actor.PATIENT, None, None, None, True, True),
        (Actor.PATIENT, None, RequestStatus.SCHEDULED, RequestStatus.CONTACTED, True, False),
    ]

    # The request page: four lines (received, confirmed, moved, cancelled), each with who and when.
    html = desk.get(page).get_data(as_text=True)
    history = re.search(r'<ol class="history">(.*?)</ol>', html, re.S).group(1)
    items = [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in re.findall(r"<li>(.*?)</li>", history, re.S)]
    assert len(items) == 4
    assert items[0].endswith("request received.")
    assert "desk@clinic.test: Confirmed the time " + label_of(app, first) in items[1]
    assert "the patient: Moved the time to " + label_of(app, second) in items[2]
    assert f"(was {label_of(app, first)} with Avery Lee)" in items[2]
    assert "the patient: Cancelled the time " + label_of(app, second) in items[3]
    assert "Reason: Feeling better" in items[3] and "Marked contacted (was scheduled)" in items[3]
    assert all(re.match(r"\d\d \w\w\w 20\d\d, \d\d:\d\d", item) for item in items)  # when
    # Opening the page was the desk seeing it: attention is cleared.
    with app.app_context():
        assert the_request(app, reference).attention_since is None
    assert "needs attention" not in desk.get("/staff").get_data(as_text=True)

    # The clinic got an email for the request and for each thing the patient did.
    send_mail(runner)
    clinic = [m["Subject"] for m in to(smtp.messages, CLINIC)]
    assert clinic[0].startswith(f"New consultation request [{reference}]: held Mon 8 Mar ")
    assert clinic[1:] == [f"Patient moved their consultation [{reference}]",
                          f"Patient cancelled their consultation [{reference}]"]
    moved, cancel = to(smtp.messages, CLINIC)[1:]
    moved_text = moved.get_body(("plain",)).get_content()
    assert f"Was: {label_of(app, first)}" in moved_text and f"Now: {label_of(app, second)} with Avery Lee" in moved_text
    cancel_text = cancel.get_body(("plain",)).get_content()
    assert "waitlist" not in cancel_text  # nobody waits: no offer was sent, so none is mentioned
    assert "Feeling better" not in cancel_text  # minimal mode (the default): the patient's words stay in the app
    # The patient: acknowledgement, confirmation, the move with both times, the cancellation.
    patient_subjects = [" ".join(m["Subject"].split()).split(" [")[0] for m in to(smtp.messages, "maria@example.org")]
    assert patient_subjects == ["We received your consultation request", "Your consultation is confirmed",
                                "Your consultation has moved", "Your consultation is cancelled"]
    [moved_email] = with_subject(to(smtp.messages, "maria@example.org"), "has moved")
    body = moved_email.get_body(("plain",)).get_content()
    assert f"New time: {label_of(app, second)}" in body and f"Was: {label_of(app, first)}" in body
    assert path in body and old_path not in body  # the email carries the new link


@pytest.mark.parametrize("mode", ["minimal", "full"])
@pytest.mark.parametrize("auto, flagged, state", [(False, False, "held"), (True, False, "confirmed"),
                                                   (True, True, "held")])
def test_the_clinic_email_names_the_time_and_its_state_in_both_modes(make_app, smtp, mode, auto, flagged, state):
    app = make_app(NOTIFY_DETAILS=mode, BOOKING_AUTO_CONFIRM=auto)
    with app.app_context():
        make_practitioner("Avery Lee")
    value = free_values(app)[0]
    screening = ["blood_thinners"] if flagged else ["none"]
    reference = book(app, app.test_client(), value, screening=screening, preferred_days=[], preferred_times=[])
    send_mail(app.test_cli_runner())
    [email] = to(smtp.messages, CLINIC)
    when = label_of(app, value)
    assert re.search(rf"\[{reference}\]: {state} \w{{3}} \d+ \w{{3}} \d+:\d\d [ap]m$", email["Subject"]), email["Subject"]
    text = email.get_body(("plain",)).get_content()
    assert f"TIME: {when} with Avery Lee" in text
    assert ("HELD for the front desk to confirm" in text) == (state == "held")
    assert ("CONFIRMED at once" in text) == (state == "confirmed")
    # A time was taken, so the days and times that suit were not asked: no row says "not given".
    assert "Days:" not in text and "Times:" not in text
    with app.app_context():
        consultation = the_request(app, reference)
        assert consultation.status is (RequestStatus.SCHEDULED if state == "confirmed" else RequestStatus.NEW)
        if state == "confirmed":
            [line] = consultation.events
            assert line.actor is Actor.SYSTEM and line.to_status is RequestStatus.SCHEDULED


def test_the_clinic_email_says_when_the_patient_chose_the_waitlist(make_app, smtp):
    app = make_app()
    with app.app_context():
        make_practitioner("Avery Lee")
    client = app.test_client()
    response = client.post("/consultation", data={**open_form(client), **valid_answers(slot="none", waitlist="y")})
    assert response.status_code == 303
    send_mail(app.test_cli_runner())
    [email] = to(smtp.messages, CLINIC)
    assert email["Subject"].endswith(": waitlist")
    assert "TIME: none chosen - the patient joined the waitlist" in email.get_body(("plain",)).get_content()


def test_a_failed_commit_leaves_neither_the_change_nor_its_history_nor_its_email(app, desk, practitioner):
    reference = book(app, app.test_client(), free_values(app)[0])
    with app.app_context():
        before = (db.session.execute(db.select(db.func.count()).select_from(Notification)).scalar_one(),
                  db.session.execute(db.select(db.func.count()).select_from(RequestEvent)).scalar_one())
    page = f"/staff/requests/{reference}"
    form = desk.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    armed = []

    def power_cut(session):
        """The commit that writes the history line fails: with a change committed before it, that change stays."""
        if armed and any(isinstance(row, RequestEvent) for row in session.new):
            armed.clear()
            raise RuntimeError("the database went away at commit")

    event.listen(db.session, "before_commit", power_cut)
    try:
        armed.append(True)
        # The server's fault, not the client's: the error page, and nothing half done.
        assert desk.post(f"{page}/time/confirm", data={"csrf_token": token}).status_code == 500
        assert not armed
    finally:
        event.remove(db.session, "before_commit", power_cut)
    with app.app_context():
        consultation = the_request(app, reference)
        assert consultation.appointment.status is AppointmentStatus.HELD
        assert consultation.status is RequestStatus.NEW and consultation.first_action_at is None
        after = (db.session.execute(db.select(db.func.count()).select_from(Notification)).scalar_one(),
                 db.session.execute(db.select(db.func.count()).select_from(RequestEvent)).scalar_one())
    assert after == before
    # And the same click, once the database is back, does all of it.
    assert desk.post_form(f"{page}/time/confirm", page=page).status_code == 303
    with app.app_context():
        consultation = the_request(app, reference)
        assert consultation.appointment.status is AppointmentStatus.CONFIRMED and len(consultation.events) == 1
        kinds = db.session.execute(db.select(Notification.kind).order_by(Notification.id)).scalars().all()
    assert {"appointment_confirmed", "appointment_reminder"} <= set(kinds[len(kinds) - 3:])


def test_the_confirmation_leaves_within_seconds_of_the_staff_click(make_app, smtp):
    """The in-process sender wakes on the staff commit, not on its OUTBOX_POLL_SECONDS timer."""
    from tests.fixtures.staff import log_in, make_staff

    app = make_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=600)
    with app.app_context():
        make_practitioner("Avery Lee")
        make_staff("desk@clinic.test")
    reference = book(app, app.test_client(), free_values(app)[0])
    desk = app.test_client()
    assert log_in(desk, "desk@clinic.test").status_code == 303
    page = f"/staff/requests/{reference}"
    clicked = time.monotonic()
    assert desk.post_form(f"{page}/time/confirm", page=page).status_code == 303
    while not with_subject(smtp.messages, "is confirmed") and time.monotonic() - clicked < 5:
        time.sleep(0.05)
    assert with_subject(smtp.messages, "is confirmed"), "no confirmation within 5 s of the click"


def test_closing_a_request_frees_its_time_and_tells_a_patient_who_had_been_confirmed(app, desk, practitioner, smtp,
                                                                                    runner):
    reference = book(app, app.test_client(), free_values(app)[0])
    page = f"/staff/requests/{reference}"
    assert desk.post_form(f"{page}/time/confirm", page=page).status_code == 303
    closed = desk.post_form(f"{page}/status", {"status": "closed", "closed_reason": "not_suitable"}, page=page)
    assert closed.status_code == 303
    with app.app_context():
        consultation = the_request(app, reference)
        assert consultation.status is RequestStatus.CLOSED
        assert consultation.appointment.status is AppointmentStatus.RELEASED
        assert db.session.execute(db.select(Appointment).where(
            Appointment.status.in_(AppointmentStatus.holding()))).first() is None
    send_mail(runner)
    assert with_subject(to(smtp.messages, "maria@example.org"), "is cancelled")
