"""The waitlist: a cancelled time is offered to waiting patients, oldest first; the first POST takes it."""

import re
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from booking.appointments import operations as appointment_operations
from booking.lifecycle import operations
from booking.extensions import db
from booking.models import Appointment, BookedCell, ConsultationRequest, Notification, WaitlistEntry
from booking.states import Actor, AppointmentStatus, RequestStatus, WaitlistStatus
from tests.appointment_helpers import (NEXT_WEEK, NOW, assert_no_health_words, manage_path, send_mail, snapshot,
                                       to, with_subject)
from tests.client import hidden_fields
from tests.factories import first_free_time, make_confirmed_appointment, make_practitioner, make_request

WAITING = ["sam@example.net", "lee@example.com"]  # oldest first


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def waiting_beside_maria(**request_overrides):
    """Two patients wait (Sam since yesterday, Lee since this morning); Maria holds Monday 8 March at 9:00,
    confirmed. Needs an app context; returns Maria's appointment."""
    for days_ago, email in zip((1, 0.1), WAITING):
        consultation = make_request(email=email, notifications=False, **request_overrides)
        db.session.add(WaitlistEntry(consultation_request=consultation,
                                     created_at=NOW.replace(tzinfo=None) - timedelta(days=days_ago)))
    db.session.commit()
    practitioner = make_practitioner()
    return make_confirmed_appointment(practitioner=practitioner, start=first_free_time(practitioner.id, NEXT_WEEK).start)


def request_of(email: str) -> ConsultationRequest:
    return db.session.execute(db.select(ConsultationRequest).filter_by(email=email)).scalar_one()


@pytest.fixture
def cancelled(app, client, clock):
    """Maria, with two patients waiting, cancels Monday 8 March at 9:00 from her link."""
    with app.app_context():
        appointment = waiting_beside_maria()
        path, start = manage_path(appointment), appointment.starts_at.replace(tzinfo=UTC)
    assert client.post_form(path + "/cancel", page=path + "/cancel").status_code == 303
    return start


def appointment_of(app, email: str) -> Appointment:
    with app.app_context():
        return db.session.execute(db.select(Appointment).join(Appointment.consultation_request)
                                  .filter_by(email=email)).scalar_one()


def offer_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(r"https?://\S+/appointment/freed/\S+", body).group(0)).path


def holders(app, start) -> list[str]:
    """Whose appointment holds this time now."""
    with app.app_context():
        return [a.consultation_request.email for a in db.session.execute(
            db.select(Appointment).where(Appointment.starts_at == start.replace(tzinfo=None),
                                         Appointment.status.in_(AppointmentStatus.holding()))).scalars()]


def test_waiting_patients_are_emailed_oldest_first_and_the_first_post_wins(app, smtp, runner, cancelled):
    start = cancelled
    send_mail(runner)
    offers = with_subject(smtp.messages, "has come free")
    assert [m["To"] for m in offers] == WAITING
    for offer in offers:
        assert "Monday 8 March, 9:00 am" in offer.as_string()
        assert_no_health_words(offer.as_string())
    sam_link, lee_link = (offer_link(m) for m in offers)

    sam, lee = app.test_client(), app.test_client()
    before = snapshot(app)
    for browser, link in ((sam, sam_link), (lee, lee_link)):
        for _ in range(3):  # a mail scanner, then the patient: looking takes nothing
            page = browser.get(link)
            assert page.status_code == 200 and "Take this time" in page.get_data(as_text=True)
    sam_form = hidden_fields(sam.get(sam_link).get_data(as_text=True), sam_link)
    lee_form = hidden_fields(lee.get(lee_link).get_data(as_text=True), lee_link)
    assert snapshot(app) == before

    taken = sam.post(sam_link, data=sam_form)
    quicker = lee.post(lee_link, data=lee_form)
    assert taken.status_code == 303 and "/appointment/" in taken.headers["Location"]
    assert quicker.status_code == 409
    page = quicker.get_data(as_text=True)
    assert "Someone was quicker" in page and 'href="tel:' in page
    assert holders(app, start) == ["sam@example.net"]
    with app.app_context():
        entries = {e.consultation_request.email: e.status for e in db.session.execute(
            db.select(WaitlistEntry)).scalars()}
    assert entries == {"sam@example.net": WaitlistStatus.BOOKED, "lee@example.com": WaitlistStatus.WAITING}

    # Sam's double click takes nothing twice (the link was used, and opens nothing now, not even a link to
    # Sam's appointment); Lee's link now says the time is gone, even on a GET.
    again = sam.post(sam_link, data=sam_form)
    assert again.status_code == 404 and "This link no longer works" in again.get_data(as_text=True)
    assert "/appointment/" not in again.get_data(as_text=True).split("<main", 1)[1].replace("/appointment/freed", "")
    assert "Someone was quicker" in lee.get(lee_link).get_data(as_text=True)
    manage = sam.get(taken.headers["Location"]).get_data(as_text=True)
    # Sam raised screening flags: the time is held for the front desk, exactly as the form would hold it.
    assert "The time is held for you" in manage and "Monday 8 March, 9:00 am" in manage
    assert appointment_of(app, "sam@example.net").status is AppointmentStatus.HELD

    send_mail(runner)
    assert with_subject(to(smtp.messages, "sam@example.net"), "is confirmed") == []
    [notice] = with_subject(to(smtp.messages, "frontdesk@clinic.test"), "took a freed time")
    assert "Held for the front desk to confirm" in notice.as_string()
    assert to(smtp.messages, "lee@example.com") == [offers[1]]


def test_the_database_decides_even_when_the_check_says_free(app, cancelled, monkeypatch):
    start = cancelled
    monkeypatch.setattr(appointment_operations, "practitioners_free_at", lambda *args, **kwargs: [1])
    with app.app_context():
        sam, lee = (db.session.execute(db.select(WaitlistEntry).join(WaitlistEntry.consultation_request)
                                       .order_by(WaitlistEntry.created_at)).scalars().all())
        operations.take_freed_time(sam.consultation_request, start, 1)
        db.session.commit()
        with pytest.raises(appointment_operations.TimeTaken):
            operations.take_freed_time(lee.consultation_request, start, 1)
        db.session.rollback()
        assert db.session.execute(db.select(db.func.count()).select_from(BookedCell)).scalar_one() == 6
        assert db.session.get(WaitlistEntry, lee.id).status is WaitlistStatus.WAITING


def test_an_offer_not_yet_sent_is_withdrawn_once_the_time_is_taken(app, smtp, runner, cancelled):
    start = cancelled
    with app.app_context():
        taker = make_request(email="walk-in@example.org", notifications=False)
        appointment_operations.hold_time(taker, start, 1)
        db.session.commit()
    send_mail(runner)
    assert with_subject(smtp.messages, "has come free") == []


def test_a_forged_or_altered_waitlist_link_is_404(app, client, smtp, runner, cancelled):
    send_mail(runner)
    link = offer_link(with_subject(smtp.messages, "has come free")[0])
    token = link.rsplit("/", 1)[1]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:-2], token + "x", "nonsense", "1", "x" * 500):
        response = client.get(f"/appointment/freed/{bad}")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "This link no longer works" in page and 'href="tel:' in page and 'href="mailto:' in page


@pytest.fixture
def unflagged_waiting(app, clock):
    """Two waiting patients who raised no screening flag, beside Maria's confirmed time (not yet cancelled)."""
    with app.app_context():
        appointment = waiting_beside_maria(screening_flags=["none"])
        return appointment.consultation_request.id, appointment.starts_at.replace(tzinfo=UTC)


def _cancel_as_patient(app, request_id: int) -> None:
    with app.app_context():
        operations.cancel_time(db.session.get(ConsultationRequest, request_id))
        db.session.commit()


def sam_takes_the_freed_time(app, client, smtp, runner, request_id: int) -> None:
    """Maria cancels; Sam's offer arrives and Sam takes the time from it."""
    _cancel_as_patient(app, request_id)
    send_mail(runner)
    sam_link = offer_link(with_subject(to(smtp.messages, "sam@example.net"), "has come free")[0])
    assert client.post_form(sam_link, page=sam_link).status_code == 303


def test_an_unflagged_patient_is_confirmed_at_once_only_when_auto_confirm_is_on(app, client, smtp, runner,
                                                                               unflagged_waiting):
    request_id, start = unflagged_waiting
    app.config["BOOKING_AUTO_CONFIRM"] = True
    sam_takes_the_freed_time(app, client, smtp, runner, request_id)
    assert appointment_of(app, "sam@example.net").status is AppointmentStatus.CONFIRMED
    with app.app_context():
        sam = request_of("sam@example.net")
        assert sam.status is RequestStatus.SCHEDULED
        assert [(e.actor, e.to_status) for e in sam.events] == [(Actor.PATIENT, RequestStatus.SCHEDULED)]
    send_mail(runner)
    assert len(with_subject(to(smtp.messages, "sam@example.net"), "is confirmed")) == 1
    [notice] = with_subject(to(smtp.messages, "frontdesk@clinic.test"), "took a freed time")
    assert "Confirmed at once" in notice.as_string()


def test_without_auto_confirm_even_an_unflagged_patient_is_held_for_the_desk(app, client, smtp, runner,
                                                                             unflagged_waiting):
    request_id, start = unflagged_waiting
    app.config["BOOKING_AUTO_CONFIRM"] = False
    sam_takes_the_freed_time(app, client, smtp, runner, request_id)
    assert appointment_of(app, "sam@example.net").status is AppointmentStatus.HELD


def test_a_closed_request_is_never_offered_a_time_and_its_old_link_books_nothing(app, client, smtp, runner,
                                                                                   unflagged_waiting):
    request_id, start = unflagged_waiting
    app.config["BOOKING_AUTO_CONFIRM"] = True
    # An earlier cancellation sent both patients a link; then the desk closes Sam as not suitable.
    _cancel_as_patient(app, request_id)
    send_mail(runner)
    old_link = offer_link(with_subject(to(smtp.messages, "sam@example.net"), "has come free")[0])
    form = hidden_fields(client.get(old_link).get_data(as_text=True), old_link)
    with app.app_context():
        sam = request_of("sam@example.net")
        operations.change_status(sam, "closed", operations.SYSTEM, closed_reason="not_suitable")
        db.session.commit()
        assert sam.waitlist_entry.status is WaitlistStatus.LEFT
    # The old link shows and books nothing.
    assert "Take this time" not in client.get(old_link).get_data(as_text=True)
    assert client.post(old_link, data=form).status_code == 409
    with app.app_context():
        sam = request_of("sam@example.net")
        assert sam.appointment is None and sam.status is RequestStatus.CLOSED
    # Lee takes the time; Lee then cancels, and the freed time is offered to nobody closed.
    lee_link = offer_link(with_subject(to(smtp.messages, "lee@example.com"), "has come free")[0])
    assert client.post_form(lee_link, page=lee_link).status_code == 303
    with app.app_context():
        lee = request_of("lee@example.com")
        lee_id = lee.id
    offers_before = len(with_subject(smtp.messages, "has come free"))
    _cancel_as_patient(app, lee_id)
    send_mail(runner)
    assert len(with_subject(smtp.messages, "has come free")) == offers_before
    with app.app_context():
        notice = db.session.execute(db.select(Notification).filter_by(kind="clinic_patient_action")
                                    .order_by(Notification.id.desc())).scalars().first()
        assert notice.payload["action"] == "cancelled" and notice.payload["offered_to"] == []
