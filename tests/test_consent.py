"""The dry-needling consent: its versioned text, signing on the patient's link, the PDF, staff, reminders."""

import hashlib
import io
from datetime import UTC, timedelta

import pytest
from pypdf import PdfReader

from booking.consent.forms import names_match
from booking.consent.text import consent_text
from booking.extensions import db
from booking.models import Appointment, ConsentRecord, ConsentReview, ConsultationRequest, Notification
from booking.states import ConsentAction, NotificationStatus
from tests.appointment_helpers import (assert_no_health_words, book_next_week, manage_path, send_mail, to,
                                       with_subject)
from tests.appointment_helpers import clock  # noqa: F401 (a fixture)
from tests.factories import make_confirmed_appointment, make_practitioner, make_request
from tests.fixtures.staff import log_in

PATIENT = "maria@example.org"
CONFIRMED = {"read": "y", "risks": "y", "alternatives": "y", "stop": "y", "answers": "y"}
SIGNED = {**CONFIRMED, "full_name": "María López"}


@pytest.fixture
def booked(app, clock):
    """Maria's confirmed consultation on Monday 8 March 2027 at 9:00 New York time, her screening clear."""
    with app.app_context():
        appointment = book_next_week()
        appointment.consultation_request.screening_flags = ["none"]
        appointment.consultation_request.flagged = False
        db.session.commit()
        return appointment.id, manage_path(appointment), appointment.consultation_request.reference


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def rows(app) -> list[ConsentRecord]:
    with app.app_context():
        found = db.session.execute(db.select(ConsentRecord).order_by(ConsentRecord.id)).scalars().all()
        db.session.expunge_all()
        return found


# 1. The text

@pytest.mark.parametrize("language, words", [
    ("en", ["is not acupuncture", "soreness", "bruises", "tired", "fainting", "bleeding", "infection",
            "nerve", "pneumothorax", "blood thinners", "pregnant", "pacemaker", "metal allergy",
            "afraid of needles", "surgery recently", "skin condition", "weakened immune system",
            "Other choices", "training", "stop", "withdraw"]),
    ("es", ["no es acupuntura", "dolor", "moretones", "cansancio", "desmayo", "sangrado", "infección",
            "nervio", "neumotórax", "anticoagulantes", "embarazada", "marcapasos", "alergia a los metales",
            "miedo a las agujas", "operado", "problema de piel", "inmunitario", "Otras opciones",
            "formación", "paremos", "retirar"]),
])
def test_the_text_covers_what_consent_must_say(app, language, words):
    with app.app_context():
        shown = consent_text(language, None)
    assert shown.language == language and shown.version == "1"
    for word in words:
        assert word in shown.text, word
    assert len(shown.sha256) == 64 and len(shown.source_sha256) == 64


def test_the_practitioners_training_statement_is_in_the_text(app):
    with app.app_context():
        practitioner = make_practitioner()
        practitioner.dry_needling_training = "Completed 54 hours of dry-needling training in 2024."
        shown = consent_text("en", practitioner)
    assert "Avery Lee: Completed 54 hours of dry-needling training in 2024." in shown.text


def test_a_new_version_is_read_from_the_clinics_folder_and_old_signatures_keep_theirs(make_app, tmp_path, clock):
    folder = tmp_path / "texts"
    (folder / "en").mkdir(parents=True)
    (folder / "en" / "1.md").write_text("# Consent\nFirst words about pneumothorax.\n", "utf-8")
    app = make_app(CONSENT_TEXT_DIR=str(folder))
    with app.app_context():
        appointment = book_next_week()
        path, reference = manage_path(appointment), appointment.consultation_request.reference
    client = app.test_client()
    staff_client = app.test_client()
    with app.app_context():
        from tests.factories import make_staff
        make_staff("desk@clinic.test")
    assert log_in(staff_client, "desk@clinic.test").status_code == 303
    assert client.post_form(path + "/consent", SIGNED).status_code == 303
    first_pdf = staff_client.get(f"/staff/requests/{reference}/consent.pdf").data

    (folder / "en" / "2.md").write_text("# Consent\nSecond words.\n", "utf-8")
    clock.shift(timedelta(hours=1))  # opened later, the same PDF
    page = client.get(path + "/consent").get_data(as_text=True)
    assert "Second words." in page and "en/2" in page
    assert staff_client.get(f"/staff/requests/{reference}/consent.pdf").data == first_pdf
    [record] = rows(app)
    assert record.version == "1" and "First words" in record.text and "Second" not in record.text


# 2. The page

def test_the_appointment_page_links_to_the_consent_once_confirmed(app, client, clock):
    from tests.appointment_helpers import NEXT_WEEK
    from tests.factories import first_free_time
    with app.app_context():
        practitioner = make_practitioner()
        held = make_confirmed_appointment(practitioner=practitioner, confirmed=False)
        held_path = manage_path(held)
        confirmed = make_confirmed_appointment(practitioner=practitioner, email="sam@example.net",
                                               start=first_free_time(practitioner.id, NEXT_WEEK).start)
        confirmed_path = manage_path(confirmed)
    assert "Read and sign your dry-needling consent" not in client.get(held_path).get_data(as_text=True)
    page = client.get(confirmed_path).get_data(as_text=True)
    assert "Read and sign your dry-needling consent" in page and confirmed_path + "/consent" in page


def test_the_page_asks_the_screening_again_with_the_requests_answers_ticked(app, client, clock):
    with app.app_context():
        path = manage_path(book_next_week())  # Maria said blood thinners and needle fear
    response = client.get(path + "/consent")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert 'value="blood_thinners" checked' in page and 'value="needle_fear" checked' in page
    assert 'value="pregnancy" checked' not in page
    assert "pneumothorax" in page and "Type your full name to sign" in page
    for detail in ["heel", "plantar", "ankle", "pain level"]:  # only the safety questions are asked again
        assert detail not in page.lower(), detail


@pytest.mark.parametrize("changes, message", [
    ({"full_name": ""}, "Type your full name to sign."),
    ({"full_name": "Somebody Else"}, "Type your full name as you gave it"),
    ({"full_name": "Maria"}, "Type your full name as you gave it"),
    ({"risks": None}, "Tick the box to confirm you understand the effects and risks."),
    ({"stop": None}, "Tick the box to confirm you know you can stop and withdraw."),
    ({"screening": ["not_a_question"]}, "Choose only from the safety questions listed."),
    ({"full_name": "Maria\nLopez"}, "Type your name on one line."),
])
def test_bad_answers_come_back_with_a_message_and_the_answers_kept(app, client, booked, changes, message):
    _, path, _ = booked
    data = {**SIGNED, "screening": ["pregnancy"], **changes}
    data = {key: value for key, value in data.items() if value is not None}
    response = client.post_form(path + "/consent", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and "Your consent is not signed yet" in page
    if "screening" not in changes:
        assert 'value="pregnancy" checked' in page
    if changes.get("full_name", "x") and "\n" not in changes.get("full_name", ""):
        assert f'value="{data["full_name"]}"' in page
    assert rows(app) == []


def test_an_expired_csrf_token_keeps_the_answers(app, client, booked):
    _, path, _ = booked
    response = client.post(path + "/consent", data={**SIGNED, "csrf_token": "stale"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "security code" in page and 'value="María López"' in page
    assert rows(app) == []


@pytest.mark.parametrize("typed, on_file, match", [
    ("María López", "Maria Lopez", True), ("lopez maria", "Maria Lopez", True),
    ("Maria Elena Lopez", "Maria Lopez", True), ("Mary O'Neil", "mary oneil", True),
    ("Maria", "Maria Lopez", False), ("Ana Lopez", "Maria Lopez", False), ("", "Maria Lopez", False),
])
def test_names_match_reasonably(typed, on_file, match):
    assert names_match(typed, on_file) is match


# 2-3. Signing: kept exactly, emailed with its PDF

def test_signing_keeps_the_text_answers_and_name_and_emails_the_pdf(app, client, smtp, runner, booked, desk):
    appointment_id, path, reference = booked
    response = client.post_form(path + "/consent", SIGNED, headers={"User-Agent": "TestPhone/1.0"})
    assert response.status_code == 303
    assert "your consent is signed" in client.get(response.headers["Location"]).get_data(as_text=True)
    [record] = rows(app)
    assert record.action is ConsentAction.SIGNED and record.typed_name == "María López"
    assert record.language == "en" and record.version == "1" and "pneumothorax" in record.text
    assert record.answers == {"screening": [], "statements": ["read", "risks", "alternatives", "stop", "answers"]}
    assert record.flagged is False and record.address == "127.0.0.1" and record.user_agent == "TestPhone/1.0"
    assert record.text_sha256 == hashlib.sha256(record.text.encode()).hexdigest()

    send_mail(runner)
    [copy] = with_subject(to(smtp.messages, PATIENT), "Your signed dry-needling consent")
    [attachment] = [part for part in copy.iter_attachments() if part.get_content_type() == "application/pdf"]
    text = pdf_text(attachment.get_payload(decode=True))
    assert "María López" in text and "Monday 8 March, 9:00 am" in text and "pneumothorax" in text
    assert record.text_sha256 in text.replace("\n", "")
    assert_no_health_words(copy.get_body(("plain",)).get_content())

    staff_pdf = desk.get(f"/staff/requests/{reference}/consent.pdf")
    assert staff_pdf.status_code == 200 and staff_pdf.mimetype == "application/pdf"
    staff_text = pdf_text(staff_pdf.data)
    assert "Maria Lopez" in staff_text and "Monday 8 March, 9:00 am" in staff_text and "pneumothorax" in staff_text


def test_a_stranger_gets_no_pdf(app, client, booked):
    _, path, reference = booked
    assert client.post_form(path + "/consent", SIGNED).status_code == 303
    response = client.get(f"/staff/requests/{reference}/consent.pdf")
    assert response.status_code in (302, 303, 401)
    assert response.mimetype != "application/pdf" and not response.data.startswith(b"%PDF")


def test_a_row_is_never_updated(app, client, booked):
    _, path, _ = booked
    client.post_form(path + "/consent", SIGNED)
    with app.app_context():
        record = db.session.execute(db.select(ConsentRecord)).scalar_one()
        record.typed_name = "Someone Else"
        with pytest.raises(ValueError, match="cannot be changed"):
            db.session.commit()
        db.session.rollback()


def test_yes_to_blood_thinners_flags_the_request_and_tells_the_clinic(make_app, smtp, clock):
    app = make_app(NOTIFY_DETAILS="minimal")
    client = app.test_client()
    with app.app_context():
        appointment = book_next_week()
        appointment.consultation_request.screening_flags = ["none"]
        appointment.consultation_request.flagged = False
        db.session.commit()
        path, request_id = manage_path(appointment), appointment.request_id
    response = client.post_form(path + "/consent", {**SIGNED, "screening": ["blood_thinners"]})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your therapist will talk it through with you" in page
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        assert consultation.flagged is True and consultation.screening_flags == ["blood_thinners"]
        assert any("answered yes to a screening question" in event.note for event in consultation.events)
    send_mail(app.test_cli_runner())
    [notice] = with_subject(smtp.messages, "Consent signed")
    body = notice.get_body(("plain",)).get_content()
    assert "signed" in body and "Flags: yes" in body
    assert "blood" not in notice.as_string().lower() and "Maria" not in notice.as_string()
    assert_no_health_words(notice.as_string())


def test_flagged_requests_show_in_the_inbox_filter(app, client, booked, desk):
    _, path, reference = booked
    assert reference not in desk.get("/staff?flagged=1").get_data(as_text=True)
    client.post_form(path + "/consent", {**SIGNED, "screening": ["blood_thinners"]})
    assert reference in desk.get("/staff?flagged=1").get_data(as_text=True)


def test_the_clinic_email_in_full_mode_lists_only_the_consent_pages_answers(app, client, smtp, runner, booked):
    _, path, _ = booked
    client.post_form(path + "/consent", {**SIGNED, "screening": ["pregnancy"]})
    send_mail(runner)
    [notice] = with_subject(smtp.messages, "Consent signed with flags")
    body = notice.get_body(("plain",)).get_content()
    assert "I am or might be pregnant" in body and "heel" not in body.lower()


# 4. Staff

def test_staff_see_the_state_review_it_and_print_a_blank_form(app, client, booked, desk):
    appointment_id, path, reference = booked
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    assert "Dry-needling consent" in page and "Not signed" in page
    agenda = desk.get("/staff/agenda?day=2027-03-08").get_data(as_text=True)
    assert "Consent: not signed" in agenda

    client.post_form(path + "/consent", {**SIGNED, "screening": ["pregnancy"]})
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    assert "Signed with flags" in page and "consent.pdf" in page
    assert "Consent: signed with flags" in desk.get("/staff/agenda?day=2027-03-08").get_data(as_text=True)

    response = desk.post_form(f"/staff/requests/{reference}/consent/reviewed", page=f"/staff/requests/{reference}")
    assert response.status_code == 303
    with app.app_context():
        [review] = db.session.execute(db.select(ConsentReview)).scalars().all()
        assert review.staff.email == "desk@clinic.test" and review.at is not None
    assert "Reviewed with the patient by desk@clinic.test" in desk.get(f"/staff/requests/{reference}").get_data(as_text=True)

    blank = desk.get("/staff/consent/blank.pdf?language=es")
    assert blank.status_code == 200
    text = pdf_text(blank.data)
    assert "neumotórax" in text and "Firma:" in text and "anticoagulantes" in text


def test_an_administrator_sets_the_training_statement(app, booked, boss):
    with app.app_context():
        practitioner_id = db.session.get(Appointment, booked[0]).practitioner_id
    response = boss.post_form(f"/staff/availability/{practitioner_id}/training",
                              {"training": "Certified in dry needling, 2023."}, page="/staff/availability")
    assert response.status_code == 303
    page = boss.get("/staff/availability").get_data(as_text=True)
    assert "Certified in dry needling, 2023." in page
    _, path, _ = booked
    assert "Certified in dry needling, 2023." in boss.get(path + "/consent").get_data(as_text=True)


# 5. Reminders

def test_an_unsigned_consent_gets_one_reminder_48_hours_before(app, smtp, runner, clock, booked):
    _, path, _ = booked
    start = booked_start(app)
    clock.move_to(start - timedelta(hours=48) - timedelta(minutes=1))
    send_mail(runner)
    assert with_subject(to(smtp.messages, PATIENT), "Please sign") == []
    clock.move_to(start - timedelta(hours=48) + timedelta(minutes=1))
    send_mail(runner)
    send_mail(runner)
    [reminder] = with_subject(to(smtp.messages, PATIENT), "Please sign your dry-needling consent")
    assert path + "/consent" in reminder.get_body(("plain",)).get_content()
    assert_no_health_words(reminder.as_string())
    clock.move_to(start - timedelta(hours=24) + timedelta(minutes=1))
    send_mail(runner)
    [regular] = with_subject(to(smtp.messages, PATIENT), "Reminder: your consultation")
    assert "consent is not signed yet" in regular.get_body(("plain",)).get_content()


def test_signing_withdraws_the_consent_reminder_and_the_regular_one_says_signed(app, client, smtp, runner, clock,
                                                                                 booked):
    _, path, _ = booked
    client.post_form(path + "/consent", SIGNED)
    with app.app_context():
        statuses = db.session.execute(db.select(Notification.status)
                                      .where(Notification.kind == "consent_reminder")).scalars().all()
    assert statuses == [NotificationStatus.WITHDRAWN]
    clock.move_to(booked_start(app) - timedelta(hours=24) + timedelta(minutes=1))
    send_mail(runner)
    assert with_subject(to(smtp.messages, PATIENT), "Please sign") == []
    [regular] = with_subject(to(smtp.messages, PATIENT), "Reminder: your consultation")
    assert "consent is signed" in regular.get_body(("plain",)).get_content()


def test_moving_the_time_replaces_the_consent_reminder(app, client, clock, booked):
    from booking.lifecycle import operations
    from tests.factories import first_free_time
    from tests.appointment_helpers import NEXT_WEEK
    appointment_id, _, _ = booked
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        later = first_free_time(appointment.practitioner_id, NEXT_WEEK + timedelta(days=1)).start
        operations.move_time(appointment.consultation_request, later)
        db.session.commit()
        reminders = db.session.execute(db.select(Notification).where(Notification.kind == "consent_reminder")
                                       .order_by(Notification.id)).scalars().all()
        assert [r.status for r in reminders] == [NotificationStatus.WITHDRAWN, NotificationStatus.PENDING]
        assert reminders[-1].send_after == appointment.starts_at - timedelta(hours=48)


def booked_start(app):
    with app.app_context():
        return db.session.execute(db.select(Appointment)).scalar_one().starts_at.replace(tzinfo=UTC)


# 6. Withdrawal

def test_withdrawing_adds_a_row_tells_the_clinic_and_shows_on_the_request_page(app, client, smtp, runner, booked,
                                                                              desk):
    _, path, reference = booked
    client.post_form(path + "/consent", SIGNED)
    response = client.post_form(path + "/consent/withdraw", page=path + "/consent")
    assert response.status_code == 303
    assert [r.action for r in rows(app)] == [ConsentAction.SIGNED, ConsentAction.WITHDRAWN]
    send_mail(runner)
    [notice] = with_subject(smtp.messages, "Consent withdrawn")
    assert reference in notice.get_body(("plain",)).get_content()
    assert_no_health_words(notice.as_string())
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    assert "Withdrawn" in page and "withdrew their dry-needling consent" in page
    # Signing again is a third row; the page offers the form again.
    assert "Sign my consent" in client.get(path + "/consent").get_data(as_text=True)
    assert client.post_form(path + "/consent", SIGNED).status_code == 303
    assert len(rows(app)) == 3


def test_withdrawing_with_nothing_signed_changes_nothing(app, client, booked):
    _, path, _ = booked
    csrf = client.hidden_fields(path + "/consent")
    assert client.post(path + "/consent/withdraw", data=csrf).status_code == 409
    assert rows(app) == []


# 7. Private, and strangers

@pytest.mark.parametrize("token", ["nonsense", "WzEsImFiYyJd.forged", "<script>"])
def test_a_forged_link_shows_nothing(app, client, booked, token):
    assert client.get(f"/appointment/{token}/consent").status_code == 404
    assert client.post(f"/appointment/{token}/consent", data=SIGNED).status_code in (400, 404)
    assert rows(app) == []


def test_spanish_page_and_pdf(app, client, clock):
    with app.app_context():
        appointment = make_confirmed_appointment(make_request(language="es"), start=None)
        path = manage_path(appointment)
    assert path.startswith("/es/appointment/")
    page = client.get(path + "/consent").get_data(as_text=True)
    assert "neumotórax" in page and "Firmar mi consentimiento" in page
    response = client.post_form(path + "/consent", {**SIGNED, "full_name": ""})
    assert "Escriba su nombre completo para firmar." in response.get_data(as_text=True)
    assert client.post_form(path + "/consent", SIGNED).status_code == 303
    [record] = rows(app)
    assert record.language == "es" and "neumotórax" in record.text


def test_the_practitioner_command_sets_the_training_statement(app, runner):
    with app.app_context():
        make_practitioner()
    result = runner.invoke(args=["practitioner", "training", "Avery Lee", "Level 2 dry needling, 2025."])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "Avery Lee: Level 2 dry needling, 2025." in consent_text("en", make_practitioner_named("Avery Lee")).text


def make_practitioner_named(name):
    from booking.models import Practitioner
    return db.session.execute(db.select(Practitioner).filter_by(name=name)).scalar_one()


def test_erasing_a_request_erases_its_consent(app, client, booked, boss):
    _, path, reference = booked
    client.post_form(path + "/consent", SIGNED)
    response = boss.post_form(f"/staff/requests/{reference}/erase", {"confirm_reference": reference},
                              page=f"/staff/requests/{reference}")
    assert response.status_code == 303
    assert rows(app) == []


def test_opening_the_consent_page_changes_nothing(app, client, booked):
    """Mail scanners open every link: only a POST signs."""
    from tests.appointment_helpers import snapshot
    _, path, _ = booked
    before = snapshot(app)
    for _ in range(3):
        assert client.get(path + "/consent").status_code == 200
        assert client.head(path + "/consent").status_code == 200
    assert snapshot(app) == before and rows(app) == []


def test_a_second_press_of_sign_keeps_one_signature(app, client, booked):
    _, path, _ = booked
    fields = client.hidden_fields(path + "/consent", path + "/consent")
    first = client.post(path + "/consent", data={**fields, **SIGNED})
    second = client.post(path + "/consent", data={**fields, **SIGNED})
    assert first.status_code == second.status_code == 303
    assert [r.sequence for r in rows(app)] == [1]
    with app.app_context():
        kinds = db.session.execute(db.select(Notification.kind).where(Notification.kind == "consent_signed")).all()
    assert len(kinds) == 1


def test_the_database_refuses_two_rows_with_one_number(app, booked):
    """Two presses sent together both read no signature; the unique (appointment, sequence) keeps one."""
    from sqlalchemy.exc import IntegrityError
    from booking.consent import operations
    appointment_id, _, _ = booked
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        operations.sign(appointment, language="en", screening=[], statements=["read"], typed_name="Maria Lopez",
                        address="", user_agent="")
        db.session.commit()
        twin = ConsentRecord(consultation_request=appointment.consultation_request, appointment=appointment,
                             sequence=1, action=ConsentAction.SIGNED, language="en", version="1", source_sha256="x",
                             text="t", text_sha256="y", answers={}, appointment_starts_at=appointment.starts_at)
        db.session.add(twin)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_the_confirmation_email_links_to_the_consent(app, smtp, runner, booked):
    _, path, _ = booked
    send_mail(runner)
    [confirmation] = with_subject(to(smtp.messages, PATIENT), "is confirmed")
    assert path + "/consent" in confirmation.get_body(("plain",)).get_content()
    assert path + "/consent" in confirmation.get_body(("html",)).get_content()


def test_signing_and_a_twin_press_on_postgresql(make_app, postgres_url, smtp, clock):
    """JSON answers, the CHECK on the action and the unique (appointment, sequence) on a real PostgreSQL."""
    app = make_app(SQLALCHEMY_DATABASE_URI=postgres_url)
    client = app.test_client()
    with app.app_context():
        path = manage_path(book_next_week())
    fields = client.hidden_fields(path + "/consent", path + "/consent")
    for _ in range(2):
        assert client.post(path + "/consent", data={**fields, **SIGNED, "screening": ["pregnancy"]}).status_code == 303
    [record] = rows(app)
    assert record.answers["screening"] == ["pregnancy"] and record.sequence == 1
    assert client.post_form(path + "/consent/withdraw", page=path + "/consent").status_code == 303
    assert [r.sequence for r in rows(app)] == [1, 2]
