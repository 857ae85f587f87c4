"""The blank consultation form is drawn for every visit: its own tokens each time, and the free times as the
database has them now, whichever server changed them."""

import re
import sqlite3
from datetime import datetime, timezone

import pytest
import time_machine

from booking.extensions import db
from booking.models import ConsultationRequest
from tests.conftest import valid_answers
from tests.test_booking_intake import add_practitioner, offered

# Wednesday 10 March 2027, 7:00 am in New York: Thursday 9:00 am is the first time offered.
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)
THU_9AM = "2027-03-11T09:00:00-05:00"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def clinic_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def tokens(page: str) -> tuple[str, str]:
    return CSRF.search(page).group(1), SUBMISSION.search(page).group(1)


def test_every_visitor_gets_their_own_tokens(app):
    add_practitioner(app)
    pages = [app.test_client().get("/consultation").get_data(as_text=True) for _ in range(3)]
    assert len({tokens(page) for page in pages}) == 3


def test_pressing_send_twice_stores_one_request(app, client):
    add_practitioner(app)
    answers = {**valid_answers(slot=THU_9AM), **client.hidden_fields("/consultation")}
    first, second = client.post("/consultation", data=answers), client.post("/consultation", data=answers)
    assert first.status_code == second.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ConsultationRequest)) == 1


def test_a_time_booked_here_is_gone_from_the_next_form(app, client):
    add_practitioner(app)
    assert offered(client.get("/consultation").get_data(as_text=True))[0] == THU_9AM
    assert client.post_form("/consultation", valid_answers(slot=THU_9AM)).status_code == 303
    assert THU_9AM not in offered(app.test_client().get("/consultation").get_data(as_text=True))


def test_a_time_taken_on_another_server_is_gone_from_the_next_form(app, tmp_path):
    practitioner = add_practitioner(app)
    assert offered(app.test_client().get("/consultation").get_data(as_text=True))[0] == THU_9AM
    # Another server takes the morning off: a write this process never saw.
    with sqlite3.connect(tmp_path / "booking.sqlite3") as other_server:
        other_server.execute("insert into time_off (practitioner_id, starts_at, ends_at, created_at) "
                             "values (?, '2027-03-11 14:00:00', '2027-03-11 17:00:00', '2027-03-10 12:00:00')",
                             (practitioner,))
    assert THU_9AM not in offered(app.test_client().get("/consultation").get_data(as_text=True))


def test_times_inside_the_notice_drop_off_as_the_clock_moves(app, clinic_clock):
    add_practitioner(app)
    assert offered(app.test_client().get("/consultation").get_data(as_text=True))[0] == THU_9AM
    clinic_clock.shift(60 * 60 * 24)  # Thursday 7:00 am: 9:00 is inside the notice period now
    assert THU_9AM not in offered(app.test_client().get("/consultation").get_data(as_text=True))


def test_each_language_gets_its_own_page(app):
    english = app.test_client().get("/consultation").get_data(as_text=True)
    spanish = app.test_client().get("/es/consultation").get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="es"' in spanish


def test_a_practitioner_added_on_another_server_is_offered_at_the_next_view(app, tmp_path):
    add_practitioner(app, name="Avery Lee")
    client = app.test_client()
    client.get("/consultation")
    with sqlite3.connect(tmp_path / "booking.sqlite3") as other_server:
        other_server.execute("insert into practitioner (name, email, hours, active, created_at) "
                             "values ('Blake Moss', '', 'mon-fri 09:00-12:00', 1, '2027-03-10 12:00:00')")
    assert "Blake Moss" in client.get("/consultation").get_data(as_text=True)
