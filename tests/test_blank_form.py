"""The blank consultation form is drawn once and reused for a moment; each visitor still gets their own tokens."""

import re
import sqlite3
from datetime import datetime, timezone

import pytest
import time_machine

from booking.extensions import db
from booking.intake import blank_form, views
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


@pytest.fixture
def draws(monkeypatch):
    """How many times the form was drawn with Jinja.

    The max age is held still while draws are counted (it has tests of its own): on a slow machine the
    first drawing, which compiles the templates, can outlast it and make the next visit draw again.
    """
    monkeypatch.setattr(blank_form.time, "monotonic", lambda: 1000.0)
    drawn = []
    real = views.render_template
    monkeypatch.setattr(views, "render_template", lambda *a, **k: drawn.append(a[0]) or real(*a, **k))
    return drawn


def tokens(page: str) -> tuple[str, str]:
    return CSRF.search(page).group(1), SUBMISSION.search(page).group(1)


def test_visitors_share_one_drawing_but_never_a_token(app, draws):
    add_practitioner(app)
    pages = [app.test_client().get("/consultation").get_data(as_text=True) for _ in range(3)]
    assert draws == ["intake/form.html"]
    assert len({tokens(page) for page in pages}) == 3
    assert len({CSRF.sub("", SUBMISSION.sub("", page)) for page in pages}) == 1  # the rest is the same page
    assert blank_form.CSRF_SLOT not in pages[0] and blank_form.SUBMISSION_SLOT not in pages[0]


def test_a_form_from_the_drawing_is_accepted_and_pressing_send_twice_stores_one_request(app, client):
    add_practitioner(app)
    app.test_client().get("/consultation")  # someone else's visit drew it
    fields = client.hidden_fields("/consultation")  # this visitor's page comes from that drawing
    answers = {**valid_answers(slot=THU_9AM), **fields}
    first, second = client.post("/consultation", data=answers), client.post("/consultation", data=answers)
    assert first.status_code == second.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ConsultationRequest)) == 1


def test_a_booking_in_this_process_redraws_at_once(app, client, draws):
    add_practitioner(app)
    assert offered(client.get("/consultation").get_data(as_text=True))[0] == THU_9AM
    assert client.post_form("/consultation", valid_answers(slot=THU_9AM)).status_code == 303
    assert THU_9AM not in offered(app.test_client().get("/consultation").get_data(as_text=True))


def test_another_servers_booking_shows_within_the_max_age(app, monkeypatch, tmp_path):
    practitioner = add_practitioner(app)
    monotonic = [1000.0]
    monkeypatch.setattr(blank_form.time, "monotonic", lambda: monotonic[0])
    assert offered(app.test_client().get("/consultation").get_data(as_text=True))[0] == THU_9AM
    # Another server takes the morning off: a write this process's session never saw.
    with sqlite3.connect(tmp_path / "booking.sqlite3") as other_server:
        other_server.execute("insert into time_off (practitioner_id, starts_at, ends_at, created_at) "
                             "values (?, '2027-03-11 14:00:00', '2027-03-11 17:00:00', '2027-03-10 12:00:00')",
                             (practitioner,))
    monotonic[0] += app.config["FORM_PAGE_MAX_AGE_SECONDS"]
    assert offered(app.test_client().get("/consultation").get_data(as_text=True))[0] == THU_9AM  # still fresh
    monotonic[0] += 0.5
    assert THU_9AM not in offered(app.test_client().get("/consultation").get_data(as_text=True))


def test_a_new_minute_redraws_so_times_inside_the_notice_drop_off(app, clinic_clock, draws):
    add_practitioner(app)
    app.test_client().get("/consultation")
    app.test_client().get("/consultation")
    clinic_clock.shift(60)
    app.test_client().get("/consultation")
    assert draws == ["intake/form.html", "intake/form.html"]


def test_each_language_has_its_own_drawing(app, draws):
    english = app.test_client().get("/consultation").get_data(as_text=True)
    spanish = app.test_client().get("/es/consultation").get_data(as_text=True)
    app.test_client().get("/es/consultation")
    assert draws == ["intake/form.html", "intake/form.html"]
    assert 'lang="en"' in english and 'lang="es"' in spanish


def test_a_max_age_of_zero_draws_every_visit(make_app, draws):
    app = make_app(FORM_PAGE_MAX_AGE_SECONDS=0)
    for _ in range(2):
        app.test_client().get("/consultation")
    assert draws == ["intake/form.html", "intake/form.html"]


def test_a_drawing_that_lost_a_slot_is_not_kept_and_the_visitor_still_gets_a_form(app, monkeypatch):
    monkeypatch.setattr(views, "_draw_blank_form", lambda: "<p>a template edit dropped the token fields</p>")
    page = app.test_client().get("/consultation").get_data(as_text=True)
    csrf, submission = tokens(page)
    assert len(csrf) > 20 and len(submission) >= 20
    assert "blank_form" not in app.extensions or not app.extensions["blank_form"]


def test_a_practitioner_added_here_is_offered_at_once(app, monkeypatch):
    monkeypatch.setattr(blank_form.time, "monotonic", lambda: 1000.0)  # the max age never runs out
    add_practitioner(app, name="Avery Lee")
    assert "Avery Lee" in app.test_client().get("/consultation").get_data(as_text=True)
    add_practitioner(app, name="Blake Moss")
    assert "Blake Moss" in app.test_client().get("/consultation").get_data(as_text=True)


def test_a_practitioner_added_on_another_server_is_offered_within_the_max_age(app, monkeypatch, tmp_path):
    add_practitioner(app, name="Avery Lee")
    monotonic = [1000.0]
    monkeypatch.setattr(blank_form.time, "monotonic", lambda: monotonic[0])
    client = app.test_client()
    client.get("/consultation")
    with sqlite3.connect(tmp_path / "booking.sqlite3") as other_server:
        other_server.execute("insert into practitioner (name, email, hours, active, created_at) "
                             "values ('Blake Moss', '', 'mon-fri 09:00-12:00', 1, '2027-03-10 12:00:00')")
    monotonic[0] += app.config["FORM_PAGE_MAX_AGE_SECONDS"]
    assert "Blake Moss" not in client.get("/consultation?from=2027-03-15").get_data(as_text=True)
    monotonic[0] += 0.5
    assert "Blake Moss" in client.get("/consultation?from=2027-03-15").get_data(as_text=True)
