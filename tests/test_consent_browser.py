"""The consent page in real Chromium: signed in Spanish on a 390 px phone with JavaScript off; axe-core clean."""

import io
import sqlite3
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from booking.appointments.links import manage_url
from booking.extensions import db
from booking.models import Notification
from booking.states import NotificationStatus
from tests.factories import make_confirmed_appointment, make_request
from tests.test_browser import (  # noqa: F401 (fixtures)
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    browser,
    live_app,
)

PHONE_390 = {"width": 390, "height": 844}
STATEMENTS = ["He leído este consentimiento", "Entiendo los efectos frecuentes", "Sé que hay otros tratamientos",
              "Sé que puedo pedir que se pare", "Mis respuestas a las preguntas de seguridad"]


def spanish_consent_path(app) -> str:
    with app.app_context():
        appointment = make_confirmed_appointment(make_request(language="es", screening_flags=["none"], flagged=False))
        return urlsplit(manage_url(appointment)).path + "/consent"


def wait_for_sent(app, kind: str) -> None:
    """The live app's outbox worker sends in the background: wait for it (a few seconds at most)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with app.app_context():
            status = db.session.execute(db.select(Notification.status).where(Notification.kind == kind)).scalar()
            db.session.remove()
        if status is NotificationStatus.SENT:
            return
        time.sleep(0.2)
    raise AssertionError(f"{kind} was not sent")


def test_a_patient_signs_in_spanish_on_a_phone_without_javascript(browser, live_app, smtp, tmp_path):  # noqa: F811
    app, base = live_app
    path = spanish_consent_path(app)
    context = browser.new_context(viewport=PHONE_390, java_script_enabled=False)
    page = context.new_page()
    page.goto(base + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Su consentimiento para la punción seca")
    expect(page.get_by_text("neumotórax").first).to_be_visible()

    # Sending with a box unticked and no name explains both, and keeps what was ticked.
    page.get_by_label("Tengo alergia a algún metal", exact=False).check()
    for words in STATEMENTS[:4]:
        page.get_by_label(words, exact=False).check()
    page.get_by_role("button", name="Firmar mi consentimiento").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Marque la casilla para confirmar que sus respuestas son ciertas.")
    expect(alert).to_contain_text("Escriba su nombre completo para firmar.")
    expect(page.get_by_label("Tengo alergia a algún metal", exact=False)).to_be_checked()

    page.get_by_label(STATEMENTS[4], exact=False).check()
    page.get_by_label("Escriba su nombre completo para firmar").fill("María López")
    page.get_by_role("button", name="Firmar mi consentimiento").click()
    expect(page.get_by_role("status")).to_contain_text("su consentimiento está firmado")
    expect(page.get_by_role("heading", name="Usted ha firmado este consentimiento")).to_be_visible()
    context.close()

    with sqlite3.connect(tmp_path / "booking.sqlite3") as connection:
        [(language, name, flagged)] = connection.execute(
            "select language, typed_name, flagged from consent_record").fetchall()
    assert (language, name, flagged) == ("es", "María López", 1)

    wait_for_sent(app, "consent_signed")
    [copy] = [m for m in smtp.messages if "maria@example.org" in m["To"] and "consentimiento firmado" in m["Subject"]]
    [pdf] = [p for p in copy.iter_attachments() if p.get_content_type() == "application/pdf"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages)
    assert "María López" in text and "neumotórax" in text


@pytest.mark.parametrize("viewport", [PHONE, PHONE_390])
def test_the_consent_pages_are_accessible(browser, live_app, viewport):  # noqa: F811
    app, base = live_app
    path = spanish_consent_path(app)
    english = path.removeprefix("/es")
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    for shown in (english, path):
        page.goto(base + shown)
        assert_accessible(page, f"the consent page {shown[:4]}")
        assert_no_sideways_scroll(page, "the consent page")
    page.get_by_role("button", name="Firmar mi consentimiento").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "the consent page with mistakes")
    for box in page.get_by_role("checkbox").all()[-5:]:
        box.check()
    page.get_by_label("Escriba su nombre completo para firmar").fill("Maria Lopez")
    page.get_by_role("button", name="Firmar mi consentimiento").click()
    expect(page.get_by_role("heading", name="Usted ha firmado este consentimiento")).to_be_visible()
    assert_accessible(page, "the signed consent page")
    assert_no_sideways_scroll(page, "the signed consent page")
    page.get_by_role("button", name="Retirar mi consentimiento").click()
    expect(page.get_by_role("status")).to_contain_text("retirado")
    assert_accessible(page, "the withdrawn consent page")
    context.close()


def test_staff_consent_panel_and_agenda_are_accessible(browser, live_app):  # noqa: F811
    from tests.factories import make_staff
    from tests.fixtures.staff import log_in

    app, base = live_app
    path = spanish_consent_path(app)
    with app.app_context():
        make_staff("desk@clinic.test")
        from booking.models import Appointment
        appointment = db.session.execute(db.select(Appointment)).scalar_one()
        reference = appointment.consultation_request.reference
        day = appointment.starts_at.date().isoformat()
    patient = app.test_client()
    fields = patient.hidden_fields(path, path)
    signed = patient.post(path, data={**fields, "read": "y", "risks": "y", "alternatives": "y", "stop": "y",
                                      "answers": "y", "full_name": "Maria Lopez", "screening": ["pregnancy"]})
    assert signed.status_code == 303

    desk = app.test_client()
    assert log_in(desk, "desk@clinic.test").status_code == 303
    cookie = desk.get_cookie(app.config["SESSION_COOKIE_NAME"])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    page = context.new_page()
    page.goto(f"{base}/staff/requests/{reference}")
    panel = page.get_by_role("region", name="Dry-needling consent")
    expect(panel).to_contain_text("Signed with flags")
    assert_accessible(page, "the request page with a signed consent")
    panel.get_by_role("button", name="Reviewed with the patient").click()
    expect(page.get_by_role("status")).to_contain_text("consent reviewed with the patient")
    expect(page.get_by_role("region", name="Dry-needling consent")).to_contain_text(
        "Reviewed with the patient by desk@clinic.test")
    assert_accessible(page, "the request page after the review")
    page.goto(f"{base}/staff/agenda?day={day}&view=week")
    expect(page.get_by_text("Consent: signed with flags")).to_be_visible()
    assert_accessible(page, "the agenda with consent states")
    context.close()


def test_booked_confirmed_signed_in_spanish_and_read_by_staff(browser, live_app, smtp):  # noqa: F811
    """The issue's whole story: the form books a time, staff confirm it, the confirmation email's consent
    link is signed in Spanish on a phone with JavaScript off, the PDF reaches the patient and staff, and a
    stranger gets no PDF."""
    import re

    from booking.models import ConsultationRequest, Practitioner
    from tests.conftest import valid_answers
    from tests.factories import make_staff
    from tests.fixtures.staff import log_in

    app, base = live_app
    with app.app_context():
        db.session.add(Practitioner(name="Avery Lee", hours="mon-sat 08:00-18:00"))
        db.session.commit()
        make_staff("desk@clinic.test")
    patient = app.test_client()
    form = patient.get("/es/consultation").get_data(as_text=True)
    slot = next(v for v in re.findall(r'name="slot" type="radio" value="([^"]+)"', form) if v != "none")
    sent = patient.post_form("/es/consultation", valid_answers(slot=slot, screening=["none"], language="es"))
    assert sent.status_code == 303
    with app.app_context():
        reference = db.session.execute(db.select(ConsultationRequest.reference)).scalar_one()

    desk = app.test_client()
    assert log_in(desk, "desk@clinic.test").status_code == 303
    request_page = f"/staff/requests/{reference}"
    assert desk.post_form(f"{request_page}/time/confirm", page=request_page).status_code == 303

    # The staff commit wakes the live app's sender: the confirmation goes out by itself.
    wait_for_sent(app, "appointment_confirmed")
    [confirmation] = [m for m in smtp.messages if "maria@example.org" in m["To"] and "confirmada" in m["Subject"]]
    consent_link = re.search(r"(\S+/es/appointment/\S+/consent)", confirmation.get_body(("plain",)).get_content())
    path = urlsplit(consent_link.group(1)).path

    context = browser.new_context(viewport=PHONE_390, java_script_enabled=False)
    page = context.new_page()
    page.goto(base + path)
    expect(page.get_by_text("neumotórax").first).to_be_visible()
    for words in STATEMENTS:
        page.get_by_label(words, exact=False).check()
    page.get_by_label("Escriba su nombre completo para firmar").fill("Maria Lopez")
    page.get_by_role("button", name="Firmar mi consentimiento").click()
    expect(page.get_by_role("status")).to_contain_text("su consentimiento está firmado")
    context.close()

    wait_for_sent(app, "consent_signed")
    [copy] = [m for m in smtp.messages if "maria@example.org" in m["To"] and "consentimiento firmado" in m["Subject"]]
    [attachment] = [p for p in copy.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert "neumotórax" in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(attachment.get_payload(decode=True))).pages)

    staff_page = desk.get(request_page).get_data(as_text=True)
    pdf_path = re.search(r'href="([^"]+/consent\.pdf)"', staff_page).group(1)
    response = desk.get(pdf_path)
    assert response.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    with app.app_context():
        from booking.formatting import when
        from booking.models import Appointment
        spoken = when(db.session.execute(db.select(Appointment)).scalar_one(), "es")
    assert "Maria Lopez" in text and spoken in text and "neumotórax" in text

    stranger = app.test_client().get(pdf_path)
    assert stranger.mimetype != "application/pdf" and not stranger.data.startswith(b"%PDF")
