"""Patient links are capabilities: a random value stored with what it opens, never a row id; used once
(waitlist), expiring, revocable (manage), and never pointing at someone else after an erase."""

import re
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from booking.appointments.links import MANAGE_LINK_RENEWED, rotate_manage_link
from booking.extensions import db
from booking.models import Appointment, ConsultationRequest, Notification, WaitlistEntry, WaitlistOffer
from booking.staff.operations.erasure import erase_request
from tests.appointment_helpers import NEXT_WEEK, NOW, manage_path, send_mail, to, with_subject
from tests.conftest import open_form, valid_answers
from tests.factories import first_free_time, make_confirmed_appointment, make_practitioner, make_request, make_staff

GONE = "This link no longer works"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _offer_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(r"https?://\S+/appointment/freed/\S+", body).group(0)).path


def _manage_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(r"https?://\S+/appointment/[A-Za-z0-9_-]+", body).group(0)).path


@pytest.fixture
def offered(app, client, runner, smtp, clock):
    """Maria cancels next Monday's time; Sam, the newest request, waits and is emailed a link to take it."""
    with app.app_context():
        practitioner = make_practitioner()
        maria = make_confirmed_appointment(practitioner=practitioner,
                                           start=first_free_time(practitioner.id, NEXT_WEEK).start)
        path = manage_path(maria)
        sam = make_request(name="Sam Waiting", email="sam@example.net", notifications=False)
        db.session.add(WaitlistEntry(consultation_request=sam))
        db.session.commit()
        sam_id, sam_reference = sam.id, sam.reference
    assert client.post_form(path + "/cancel", page=path + "/cancel").status_code == 303
    send_mail(runner)
    [offer] = with_subject(to(smtp.messages, "sam@example.net"), "has come free")
    return _offer_link(offer), sam_id, sam_reference


def test_the_waitlist_link_replayed_after_an_erase_shows_nothing_of_the_next_patient(app, client, offered):
    """The review's takeover: Sam (the newest row) is erased, Nora's request comes next; Sam's old link must
    not open Nora's request (SQLite gave the erased id to the next row before AUTOINCREMENT)."""
    link, sam_id, sam_reference = offered
    assert "Take this time" in client.get(link).get_data(as_text=True)
    with app.app_context():
        erase_request(db.session.get(ConsultationRequest, sam_id), make_staff("desk@clinic.test"))
        db.session.commit()
    nora = app.test_client()
    sent = nora.post("/consultation", data={**open_form(nora), **valid_answers(
        name="Nora Next", email="nora@example.org", slot="none")})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    with app.app_context():
        nora_request = db.session.execute(db.select(ConsultationRequest).filter_by(email="nora@example.org")).scalar_one()
        nora_id, nora_reference = nora_request.id, nora_request.reference
        db.session.add(WaitlistEntry(consultation_request=nora_request))
        db.session.commit()
        assert db.session.execute(db.select(db.func.count()).select_from(WaitlistOffer)).scalar_one() == 0
    assert nora_id > sam_id  # the erased id is never given again

    csrf = {"csrf_token": open_form(client)["csrf_token"]}  # a genuine token: the link alone must refuse
    for replay in (client.get(link), client.post(link, data=csrf)):
        page = replay.get_data(as_text=True)
        assert replay.status_code == 404
        for trace in (nora_reference, "Nora", "nora@example.org", sam_reference, "Cancel"):
            assert trace not in page
    assert GONE in client.get(link).get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Appointment).filter_by(request_id=nora_id)).scalar_one_or_none() is None


def test_a_used_waitlist_link_opens_nothing(app, client, offered):
    link, _, sam_reference = offered
    taken = client.post_form(link, {}, page=link)
    assert taken.status_code == 303 and taken.headers["Location"].startswith("/appointment/")
    again = client.get(link)
    assert again.status_code == 404 and GONE in again.get_data(as_text=True)
    assert sam_reference not in again.get_data(as_text=True)


def test_the_freed_time_page_never_carries_a_manage_link(app, client, offered):
    link, sam_id, _ = offered
    page = client.get(link).get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Appointment).filter_by(request_id=sam_id)).scalar_one_or_none() is None
    assert not re.search(r'href="[^"]*/appointment/(?!freed/)', page)


def test_a_waitlist_link_expires_after_waitlist_offer_hours(app, client, offered, clock):
    link, _, _ = offered
    assert client.get(link).status_code == 200
    clock.shift(timedelta(hours=23))
    assert client.get(link).status_code == 200
    clock.shift(timedelta(hours=1, seconds=1))
    expired = client.get(link)
    assert expired.status_code == 404 and GONE in expired.get_data(as_text=True)


def test_a_waitlist_link_expires_when_the_time_starts_if_that_is_sooner(make_app, runner, clock):
    app = make_app(WAITLIST_OFFER_HOURS=24 * 30)
    with app.app_context():
        practitioner = make_practitioner()
        maria = make_confirmed_appointment(practitioner=practitioner,
                                           start=first_free_time(practitioner.id, NEXT_WEEK).start)
        start = maria.starts_at.replace(tzinfo=UTC)
        path = manage_path(maria)
        sam = make_request(email="sam@example.net", notifications=False)
        db.session.add(WaitlistEntry(consultation_request=sam))
        db.session.commit()
    client = app.test_client()
    assert client.post_form(path + "/cancel", page=path + "/cancel").status_code == 303
    with app.app_context():
        offer = db.session.execute(db.select(WaitlistOffer)).scalar_one()
        assert offer.expires_at == start.replace(tzinfo=None)
        link = f"/appointment/freed/{offer.token}"
    assert client.get(link).status_code == 200
    clock.move_to(start + timedelta(seconds=1))
    assert client.get(link).status_code == 404


def test_the_manage_link_names_no_row_id(app, clock):
    with app.app_context():
        practitioner = make_practitioner()
        appointment = make_confirmed_appointment(practitioner=practitioner,
                                                 start=first_free_time(practitioner.id, NEXT_WEEK).start)
        token = manage_path(appointment).rsplit("/", 1)[1]
        assert token == appointment.manage_nonce and len(token) >= 32
        assert str(appointment.id) != token and "." not in token


def test_send_a_new_link_stops_the_old_one_at_once_and_emails_the_new(app, clock, desk, runner, smtp):
    with app.app_context():
        practitioner = make_practitioner()
        appointment = make_confirmed_appointment(practitioner=practitioner,
                                                 start=first_free_time(practitioner.id, NEXT_WEEK).start)
        old, reference = manage_path(appointment), appointment.consultation_request.reference
    patient = app.test_client()
    assert patient.get(old).status_code == 200
    page = f"/staff/requests/{reference}"
    assert "Send a new link" in desk.get(page).get_data(as_text=True)
    sent = desk.post_form(f"/staff/requests/{reference}/time/new-link", {}, page=page)
    assert sent.status_code == 303
    assert "Sent a new link" in desk.get(page).get_data(as_text=True)
    gone = patient.get(old)
    assert gone.status_code == 404 and GONE in gone.get_data(as_text=True)
    send_mail(runner)
    [email] = with_subject(to(smtp.messages, "maria@example.org"), "new link")
    new = _manage_link(email)
    assert new != old and patient.get(new).status_code == 200
    assert "Monday 8 March" in patient.get(new).get_data(as_text=True)


def test_rotate_manage_link_leaves_the_commit_to_its_caller(app, clock):
    with app.app_context():
        practitioner = make_practitioner()
        appointment = make_confirmed_appointment(practitioner=practitioner,
                                                 start=first_free_time(practitioner.id, NEXT_WEEK).start)
        nonce, appointment_id = appointment.manage_nonce, appointment.id
        rotate_manage_link(appointment)
        assert appointment.manage_nonce != nonce
        db.session.rollback()
        assert db.session.get(Appointment, appointment_id).manage_nonce == nonce
        assert db.session.execute(db.select(Notification).filter_by(kind=MANAGE_LINK_RENEWED)).first() is None
        rotate_manage_link(db.session.get(Appointment, appointment_id))
        db.session.commit()
        assert db.session.get(Appointment, appointment_id).manage_nonce != nonce
        assert db.session.execute(db.select(Notification).filter_by(kind=MANAGE_LINK_RENEWED)).first() is not None


@pytest.mark.parametrize("table", ["consultation_request", "appointment", "waitlist_entry", "waitlist_offer",
                                   "staff_user"])
def test_sqlite_tables_whose_ids_reach_links_never_reuse_them(app, table):
    with app.app_context():
        schema = db.session.execute(db.text("select sql from sqlite_master where name = :t"), {"t": table}).scalar()
    assert "AUTOINCREMENT" in schema
