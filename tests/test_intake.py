"""The consultation form: valid requests are stored once; bad input is explained and nothing is lost."""

import logging
import re

import pytest
from sqlalchemy import event

from booking.extensions import db
from booking.models import ConsultationRequest, Notification
from tests.client import hidden_fields
from tests.conftest import open_form, valid_answers

PHONE_MESSAGE = ("Enter a phone number we can call, like (541) 555-0142. "
                 "For a number in another country, start with + and its country code.")

REFERENCE = re.compile(r"JPT-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")


def stored_requests(app) -> list[ConsultationRequest]:
    with app.app_context():
        return db.session.execute(db.select(ConsultationRequest)).scalars().all()


def test_form_page_offers_every_question(client):
    html = client.get("/consultation").get_data(as_text=True)
    for name in ["name", "email", "phone", "contact_method", "condition", "condition_other", "body_area",
                 "side", "duration", "pain_level", "description", "had_dry_needling", "screening",
                 "preferred_days", "preferred_times", "consent_contact", "consent_privacy"]:
        assert f'name="{name}"' in html, name
    for condition in ["Tendinopathy", "Tight and tender muscles", "Hip or shoulder pain", "Lower back pain",
                      "Plantar fasciitis", "Something else"]:
        assert condition in html
    assert 'href="/privacy"' in html


def test_valid_request_is_stored_with_every_answer_and_redirects_to_confirmation(app, client, submit):
    response = submit()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/consultation/sent")

    [stored] = stored_requests(app)
    assert stored.name == "Maria Lopez"
    assert stored.condition == "plantar_fasciitis"
    assert stored.pain_level == 7
    assert stored.screening_flags == ["blood_thinners", "needle_fear"]
    assert stored.preferred_days == ["tue", "thu"]
    assert stored.consent_contact and stored.consent_privacy
    assert REFERENCE.fullmatch(stored.reference)

    with app.app_context():
        kinds = sorted(n.kind for n in db.session.execute(db.select(Notification)).scalars())
    assert kinds == ["clinic_new_request", "patient_acknowledgement"]

    page = client.get("/consultation/sent")
    assert page.status_code == 200
    assert stored.reference in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_references_are_unique_per_request(app, submit):
    for _ in range(5):
        assert submit().status_code == 303
    references = [r.reference for r in stored_requests(app)]
    assert len(set(references)) == 5
    assert all(REFERENCE.fullmatch(ref) for ref in references)


def test_references_are_random_not_sequential():
    """Every position draws from the whole alphabet, so a reference cannot be guessed from another."""
    from booking.intake.operations import REFERENCE_ALPHABET, new_reference

    codes = [new_reference().replace("-", "")[3:] for _ in range(600)]
    assert len(set(codes)) == 600
    for position in range(8):
        symbols = {code[position] for code in codes}
        assert len(symbols) >= 25, (position, symbols)
        assert symbols <= set(REFERENCE_ALPHABET)


def test_confirmation_without_a_request_sends_you_to_the_form(client):
    response = client.get("/consultation/sent")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/consultation")


def test_something_else_keeps_the_patients_words(app, submit):
    assert submit(condition="other", condition_other="Tennis elbow").status_code == 303
    [stored] = stored_requests(app)
    assert (stored.condition, stored.condition_other) == ("other", "Tennis elbow")


def test_none_of_these_is_a_valid_screening_answer(app, submit):
    assert submit(screening=["none"]).status_code == 303
    [stored] = stored_requests(app)
    assert stored.raised_flags == []


def test_optional_answers_may_be_left_out(app, submit):
    response = submit(phone="", contact_method="email", body_area="", side=None, duration="", pain_level=None,
                      had_dry_needling=None, preferred_days=None, preferred_times=None)
    assert response.status_code == 303
    [stored] = stored_requests(app)
    assert stored.pain_level is None and stored.side == "" and stored.preferred_days == []


BAD_INPUT = [
    ({"name": ""}, "name", "Enter your name."),
    ({"name": "   "}, "name", "Enter your name."),
    ({"name": "x" * 121}, "name", "Your name must be 120 characters or fewer."),
    ({"name": "Eve\r\nBcc: victim@example.com"}, "name", "Your name cannot contain line breaks or control characters."),
    ({"email": ""}, "email", "Enter your email address."),
    ({"email": "maria.example.org"}, "email", "Enter an email address in the correct format, like name@example.com."),
    ({"email": "maria@"}, "email", "Enter an email address in the correct format, like name@example.com."),
    ({"email": "maria@example.org\r\nBcc: victim@example.com"}, "email",
     "Enter an email address in the correct format, like name@example.com."),
    ({"email": "a" * 250 + "@example.org"}, "email", "Your email address must be 254 characters or fewer."),
    ({"phone": "call me"}, "phone", PHONE_MESSAGE),
    ({"phone": "1" * 41}, "phone", "Your phone number must be 40 characters or fewer."),
    ({"phone": "", "contact_method": "phone"}, "phone",
     "Enter a phone number, or choose email as the way to contact you."),
    ({"contact_method": None}, "contact_method-0", "Choose how you would like us to contact you."),
    ({"contact_method": "carrier pigeon"}, "contact_method-0",
     "Choose how you would like us to contact you from the options listed."),
    ({"condition": None}, "condition-0", "Choose what brings you to us, or “Something else”."),
    ({"condition": "broken_heart"}, "condition-0", "Choose what brings you to us from the options listed."),
    ({"condition": "other", "condition_other": ""}, "condition_other", "Tell us in a few words what the problem is."),
    ({"condition": "other", "condition_other": "x" * 121}, "condition_other",
     "Describe the problem in 120 characters or fewer here; use the description below for more."),
    ({"body_area": "elbow_of_god"}, "body_area", "Choose the area from the list."),
    ({"side": "up"}, "side-0", "Choose a side from the options listed."),
    ({"duration": "forever"}, "duration", "Choose how long it has lasted from the list."),
    ({"pain_level": "11"}, "pain_level-0", "Choose a pain level from 0 to 10."),
    ({"pain_level": "-1"}, "pain_level-0", "Choose a pain level from 0 to 10."),
    ({"description": ""}, "description", "Tell us a little about the problem."),
    ({"description": "\x00\x01  "}, "description", "Tell us a little about the problem."),
    ({"description": "x" * 2001}, "description", "Keep the description to 2,000 characters or fewer."),
    ({"had_dry_needling": "maybe"}, "had_dry_needling-0", "Choose yes, no or not sure."),
    ({"screening": None}, "screening-0", "Tick any that apply to you, or “None of these apply to me”."),
    ({"screening": ["none", "pregnancy"]}, "screening-0",
     "You ticked “None of these apply to me” and another answer: untick one of them."),
    ({"screening": ["vampirism"]}, "screening-0", "Choose only from the safety questions listed."),
    ({"preferred_days": ["sun"]}, "preferred_days-0", "Choose days from the ones listed."),
    ({"preferred_times": ["midnight"]}, "preferred_times-0", "Choose times of day from the ones listed."),
    ({"consent_contact": None}, "consent_contact", "Tick the box to let us contact you about this request."),
    ({"consent_privacy": None}, "consent_privacy", "Tick the box to confirm you have read the privacy notice."),
]


@pytest.mark.parametrize("changes, anchor, message", BAD_INPUT)
def test_bad_input_is_explained_and_answers_are_kept(app, client, changes, anchor, message):
    answers = valid_answers(**changes)
    response = client.post("/consultation", data={**open_form(client), **answers})
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert stored_requests(app) == []
    # In the summary, linked to the field, and beside the field.
    assert f'<a href="#{anchor}">{message}</a>' in html
    field_id = anchor.removesuffix("-0")
    assert f'id="{field_id}-error"' in html
    assert f"Error: </span>{message}" in html
    assert 'aria-invalid="true"' in html
    assert html.count("<title>Error: ") == 1
    # What the patient typed is still there.
    assert 'value="Maria Lopez"' in html or "name" in changes
    assert "Sharp heel pain with the first steps every morning.</textarea>" in html or "description" in changes
    assert 'value="plantar_fasciitis" checked' in html or "condition" in changes


def test_error_on_a_text_field_is_tied_to_it_for_screen_readers(client):
    response = client.post("/consultation", data={**open_form(client), **valid_answers(email="nope")})
    html = response.get_data(as_text=True)
    email_input = re.search(r"<input [^>]*id=\"email\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in email_input
    assert 'aria-describedby="email-hint email-error"' in email_input
    assert 'value="nope"' in email_input


def test_double_submit_creates_one_request(app, client):
    form = {**open_form(client), **valid_answers()}
    first = client.post("/consultation", data=form)
    second = client.post("/consultation", data=form)  # double click, or back and send again
    assert first.status_code == second.status_code == 303
    [stored] = stored_requests(app)
    assert stored.reference in client.get("/consultation/sent").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Notification.id))).scalar_one() == 2


class StatementLog:
    """Every SQL statement and commit the app's engine sees while the block runs."""

    def __init__(self, app):
        self.app, self.statements, self.commits = app, [], 0

    def _statement(self, conn, cursor, statement, *args):
        self.statements.append(" ".join(statement.split()))

    def _commit(self, conn):
        self.commits += 1

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    def about(self, table: str) -> list[str]:
        return [s for s in self.statements if f" {table} " in f" {s} " or f" {table}(" in s]


def test_a_request_is_written_in_one_transaction_and_never_read_back(app, client):
    """No SELECT by token before the insert, no reload after the commit: the insert decides a double submit."""
    form = {**open_form(client), **valid_answers()}
    with StatementLog(app) as first:
        assert client.post("/consultation", data=form).status_code == 303
    [insert] = first.about("consultation_request")
    assert insert.startswith("INSERT INTO consultation_request")
    assert "ON CONFLICT (submission_token) DO NOTHING RETURNING" in insert
    assert [s.split(" (")[0] for s in first.about("notification")] == ["INSERT INTO notification"]
    assert first.commits == 1

    with StatementLog(app) as again:  # the same form sent again: nothing written, the first reference read
        assert client.post("/consultation", data=form).status_code == 303
    assert [s.split(" ")[0] for s in again.about("consultation_request")] == ["INSERT", "SELECT"]
    assert again.about("notification") == [] and again.commits == 0
    [stored] = stored_requests(app)
    assert stored.reference in client.get("/consultation/sent").get_data(as_text=True)


def test_a_new_visit_to_the_form_is_a_new_request(app, submit):
    submit()
    submit(name="Maria Lopez")
    assert len(stored_requests(app)) == 2


def test_a_forged_submission_token_is_replaced_not_trusted(app, client):
    form = {**open_form(client), **valid_answers(), "submission_token": "<script>"}
    assert client.post("/consultation", data=form).status_code == 303
    [stored] = stored_requests(app)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,64}", stored.submission_token)


def test_honeypot_drops_bots_quietly(app, client):
    form = {**open_form(client), **valid_answers(), "leave_blank": "http://spam.example"}
    response = client.post("/consultation", data=form)
    assert response.status_code == 303
    assert client.get("/consultation/sent").status_code == 200
    assert stored_requests(app) == []


def test_honeypot_is_hidden_from_people_and_screen_readers(client):
    html = client.get("/consultation").get_data(as_text=True)
    honeypot = re.search(r'<div class="hp" aria-hidden="true">.*?</div>', html, re.S).group(0)
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot


def test_missing_csrf_token_stores_nothing_and_keeps_answers(app, client):
    form = {**open_form(client), **valid_answers()}
    del form["csrf_token"]
    response = client.post("/consultation", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert stored_requests(app) == []
    assert "Your answers are still here" in html
    assert 'value="Maria Lopez"' in html
    assert 'value="blood_thinners" checked' in html


def test_expired_session_keeps_answers_and_the_next_press_succeeds(app, client):
    form = {**open_form(client), **valid_answers()}
    client.delete_cookie("session")  # the session, and the CSRF secret in it, expired
    response = client.post("/consultation", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your answers are still here" in html
    assert "Sharp heel pain with the first steps every morning.</textarea>" in html
    # The re-rendered form carries a fresh CSRF token and the same submission token.
    fresh = hidden_fields(html, "/consultation")["csrf_token"]
    assert f'name="submission_token" value="{form["submission_token"]}"' in html
    assert client.post("/consultation", data={**form, "csrf_token": fresh}).status_code == 303
    assert len(stored_requests(app)) == 1


def test_a_database_failure_keeps_the_answers_on_screen(app, client, caplog):
    from sqlalchemy import text

    with app.app_context():
        db.session.execute(text(  # the database refuses every new request, as a full disk would
            "CREATE TRIGGER refuse_requests BEFORE INSERT ON consultation_request "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"))
        db.session.commit()
    response = client.post("/consultation", data={**open_form(client), **valid_answers()})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Your request has not been sent yet" in html
    assert 'value="Maria Lopez"' in html and "Sharp heel pain with the first steps every morning.</textarea>" in html
    assert 'value="blood_thinners" checked' in html
    logged = "\n".join(caplog.text.splitlines())
    assert "Could not store a consultation request" in logged
    for detail in ["Sharp heel", "Maria", "maria@example.org", "blood_thinners"]:
        assert detail not in logged, detail


def test_oversized_body_gets_a_413_page(app, client):
    form = {**open_form(client), **valid_answers(description="x" * 70_000)}
    response = client.post("/consultation", data=form)
    assert response.status_code == 413
    assert "too much to send" in response.get_data(as_text=True)
    assert stored_requests(app) == []


def test_rate_limit_answers_with_a_readable_429(make_app):
    app = make_app(SUBMIT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = [client.post("/consultation", data={**open_form(client), **valid_answers()}).status_code
                for _ in range(3)]
    assert statuses == [303, 303, 429]
    page = client.post("/consultation", data={**open_form(client), **valid_answers()})
    assert page.status_code == 429
    assert "Please wait a moment" in page.get_data(as_text=True)
    assert client.get("/consultation").status_code == 200  # reading the form is never limited


def test_health_details_stay_out_of_logs_and_urls(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    answers = valid_answers(description="Secret-Symptom-Words", condition="other", condition_other="Rare-Ailment")
    response = client.post("/consultation", data={**open_form(client), **answers})
    assert "Secret" not in response.headers["Location"] and "Rare" not in response.headers["Location"]
    [stored] = stored_requests(app)
    assert any(stored.reference in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        text = record.getMessage()
        for secret in ["Secret-Symptom-Words", "Rare-Ailment", "Maria Lopez", "maria@example.org", "blood"]:
            assert secret not in text


def test_the_form_is_not_cached_anywhere(client):
    assert client.get("/consultation").headers["Cache-Control"] == "no-store"


HOSTILE_BODIES = [
    {"data": b'{"name": "x"}', "content_type": "application/json"},
    {"data": b"\xff\xfe\xfd=\xff", "content_type": "application/x-www-form-urlencoded"},
    {"data": b"--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\xff\r\n--x--\r\n",
     "content_type": "multipart/form-data; boundary=x"},
    {"data": b"garbage", "content_type": "multipart/form-data"},
    {"data": "&".join(["screening=none"] * 2000), "content_type": "application/x-www-form-urlencoded"},
    {"data": "name=%00&email=%00&description=%00&pain_level=%00", "content_type": "application/x-www-form-urlencoded"},
    {"data": "pain_level=\uff15&condition=%F0%9F%92%A5&email=%E2%80%AE@x.y",
     "content_type": "application/x-www-form-urlencoded"},
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_nothing_a_client_sends_produces_a_500(app, client, body):
    hidden = open_form(client)
    response = client.post("/consultation", data=body["data"], content_type=body["content_type"])
    assert response.status_code < 500
    # Also with valid tokens in the query string, and as a repeat.
    response = client.post("/consultation?" + "&".join(f"{k}={v}" for k, v in hidden.items()),
                           data=body["data"], content_type=body["content_type"])
    assert response.status_code < 500
    assert stored_requests(app) == []


def test_odd_but_valid_answers_are_stored_intact(app, submit):
    answers = {"name": "Zoë O’Brien-Łukasz 山田", "description": "Pain\r\nline two\ttabbed \U0001F62C",
               "email": "zoe.obrien+clinic@example.co.uk"}
    assert submit(**answers).status_code == 303
    [stored] = stored_requests(app)
    assert stored.name == answers["name"]
    assert stored.description == "Pain\nline two\ttabbed \U0001F62C"


def test_a_description_at_the_browsers_limit_is_accepted_whatever_its_line_breaks(app, submit):
    """Browsers count a line break as one character but send two (CR LF)."""
    description = ("x" * 99 + "\r\n") * 20  # 2,000 characters as the browser counts them
    assert submit(description=description).status_code == 303
    [stored] = stored_requests(app)
    assert len(stored.description) == 1999  # the final line break is trimmed
