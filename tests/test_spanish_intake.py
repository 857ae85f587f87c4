"""A Spanish-speaking patient asks for a consultation at /es/consultation, picks a time and gets Spanish emails;
the front desk still reads English and is told the patient wrote in Spanish."""

import re
from datetime import datetime, timezone

import pytest
import time_machine
from icalendar import Calendar
from playwright.sync_api import expect

from booking.lifecycle import operations
from booking.extensions import db
from booking.intake.forms import ConsultationForm
from booking.models import Appointment, ConsultationRequest
from tests.conftest import valid_answers
from tests.test_browser import PHONE, assert_accessible, assert_no_sideways_scroll, browser, live_app  # noqa: F401
from tests.test_staff_appointments import stand_in_for_manage_page

# Wednesday 10 March 2027, 7:00 am in New York: the first bookable morning is Thursday 11 March.
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)
THU_9AM = "2027-03-11T09:00:00-05:00"

# What an empty POST must say, in Spanish, for every required question (our messages, from the catalogue).
REQUIRED_IN_SPANISH = {
    "name": "Escriba su nombre.",
    "email": "Escriba su correo electrónico.",
    "contact_method": "Elija cómo quiere que nos pongamos en contacto con usted.",
    "condition": "Elija el motivo de su consulta, u “Otro problema”.",
    "description": "Cuéntenos un poco sobre el problema.",
    "screening": "Marque las que se apliquen a usted, o “Ninguna de estas opciones se aplica a mí”.",
    "consent_contact": "Marque la casilla para que podamos contactarle sobre esta solicitud.",
    "consent_privacy": "Marque la casilla para confirmar que ha leído el aviso de privacidad.",
}


def spanish_send(client, **changes):
    """Post valid answers from the Spanish form, with its own hidden fields (CSRF token, submission token)."""
    fields = client.hidden_fields("/es/consultation", action="/es/consultation")
    return client.post("/es/consultation", data={**fields, **valid_answers(**changes)})


def error_summary(page: str) -> list[str]:
    start = page.index('class="error-summary"')
    summary = page[start:page.index("</ul>", start)]
    return re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', summary)


def test_the_spanish_form_is_in_spanish_and_the_english_one_is_not(client):
    page = client.get("/es/consultation").get_data(as_text=True)
    assert '<html lang="es"' in page
    assert "<h1>Pida una consulta de punción seca</h1>" in page
    for spanish in ["Nombre completo", "¿Cómo quiere que nos pongamos en contacto con usted?", "Preguntas de seguridad",
                    "Tomo anticoagulantes o tengo un trastorno de la coagulación", "(opcional)", "Enviar mi solicitud",
                    "Elija una zona", "Hasta 2.000 caracteres."]:
        assert spanish in page, spanish
    assert 'action="/es/consultation"' in page  # the form posts back to the Spanish page
    english = client.get("/consultation").get_data(as_text=True)
    assert '<html lang="en"' in english and "Pida una consulta" not in english
    assert "Request a dry needling consultation" in english and "Up to 2,000 characters." in english


def test_an_empty_post_explains_every_required_question_in_spanish(client):
    response = client.post("/es/consultation", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="es"' in page
    assert "Hay un problema con su solicitud" in page
    assert error_summary(page) == [*REQUIRED_IN_SPANISH.values(), "Pulse “Enviar mi solicitud” otra vez"]
    for message in REQUIRED_IN_SPANISH.values():  # beside its question too, after a Spanish "Error:"
        assert f'<span class="visually-hidden">Error: </span>{message}' in page
    # No token was sent: the page says so in Spanish (the CSRF error itself is not listed, see below).
    assert "su navegador no envió su código de seguridad" in page
    assert "This field" not in page and "Enter your" not in page and "CSRF" not in page


def test_length_limits_and_format_messages_are_spanish_with_the_number_written_the_spanish_way(client):
    page = spanish_send(client, email="maria@example", description="x" * 2001).get_data(as_text=True)
    assert error_summary(page) == [
        "Escriba un correo electrónico con el formato correcto, como nombre@ejemplo.com.",
        "La descripción debe tener 2.000 caracteres o menos.",
    ]
    english = client.post_form("/consultation", valid_answers(description="x" * 2001)).get_data(as_text=True)
    assert "Keep the description to 2,000 characters or fewer." in english


def test_wtforms_and_flask_wtf_messages_come_from_the_spanish_catalogues(app):
    """Messages the form does not word itself: Flask-WTF's CSRF error and WTForms' built-ins (WTF_I18N_ENABLED)."""
    with app.test_request_context("/es/consultation", method="POST", data={"name": ""}):
        form = ConsultationForm()
        assert not form.validate()
        assert form.csrf_token.errors == ["Falta el código de seguridad del formulario (token CSRF)."]
        assert form.name.gettext("This field is required.") == "Este campo es obligatorio."
        assert form.name.gettext("Not a valid choice.") == "Opción inválida."
    with app.test_request_context("/consultation", method="POST", data={"name": ""}):
        form = ConsultationForm()
        assert not form.validate()
        assert form.csrf_token.errors == ["The CSRF token is missing."]
        assert form.name.gettext("Not a valid choice.") == "Not a valid choice."


def test_the_spanish_form_works_end_to_end_and_stores_the_language(app, client):
    response = spanish_send(client, consultation_language="es", interpreter="no")
    assert response.status_code == 303 and response.headers["Location"].endswith("/es/consultation/sent")
    sent = client.get("/es/consultation/sent").get_data(as_text=True)
    assert '<html lang="es"' in sent and "Gracias: su solicitud se ha enviado" in sent and "Qué pasa ahora" in sent
    with app.app_context():
        stored = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        assert (stored.language, stored.consultation_language, stored.interpreter) == ("es", "es", "no")
        assert stored.reference in sent


def test_a_spanish_request_gets_a_spanish_acknowledgement_and_the_clinic_an_english_notice(app, client, smtp, runner):
    assert spanish_send(client).status_code == 303
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    with app.app_context():
        reference = db.session.execute(db.select(ConsultationRequest.reference)).scalar_one()
    [patient] = [m for m in smtp.messages if m["To"] == "maria@example.org"]
    [clinic] = [m for m in smtp.messages if m["To"] == "frontdesk@clinic.test"]
    assert patient["Subject"] == f"Hemos recibido su solicitud de consulta [{reference}] - Juniper Physical Therapy"
    text = patient.get_body(("plain",)).get_content()
    html = patient.get_body(("html",)).get_content()
    assert text.startswith("Juniper Physical Therapy\r\n\r\nEstimado/a Maria Lopez:")  # the clinic first
    assert f"Su referencia: {reference}" in text and "punción seca" in text and "en un día hábil" in text
    assert '<html lang="es">' in html and "Gracias por contactar con Juniper Physical Therapy" in html
    for english in ["Dear", "Thank you", "Your reference", "What happens next"]:
        assert english not in text, english
    assert clinic["Subject"].startswith("Dry needling consultation request: Plantar fasciitis")
    assert "Patient wrote in Spanish." in clinic.get_body(("plain",)).get_content()
    assert "Patient wrote in Spanish." in clinic.get_body(("html",)).get_content()


@pytest.fixture
def clinic_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def practitioner(app, clinic_clock):
    from tests.factories import make_practitioner

    stand_in_for_manage_page(app)
    with app.app_context():
        return make_practitioner("Avery Lee", "mon-fri 09:00-12:00").id


def test_the_spanish_picker_says_times_as_spanish_speakers_do(client, practitioner):
    page = client.get("/es/consultation").get_data(as_text=True)
    assert '<span class="visually-hidden">jueves 11 de marzo, </span><span class="picker-time">9:00</span>' in page
    assert '<span class="picker-weekday">sáb</span> <span class="picker-date">13</span>' in page
    for spanish in ["Elija una hora para la consulta", "Ninguna de estas horas me conviene", "Cualquier fisioterapeuta",
                    "Ver horas", "Semana siguiente", "Mañana", "sin horas"]:
        assert spanish in page, spanish
    assert "am</span>" not in page and "Thursday" not in page
    nothing_chosen = spanish_send(client).get_data(as_text=True)
    assert "Elija una hora, o “Ninguna de estas horas me conviene”." in error_summary(nothing_chosen)


def test_a_spanish_patients_confirmed_time_arrives_in_spanish_with_a_spanish_invite(app, client, practitioner, smtp,
                                                                                     runner):
    assert spanish_send(client, slot=THU_9AM).status_code == 303
    sent = client.get("/es/consultation/sent").get_data(as_text=True)
    assert "Su hora está reservada" in sent and "jueves 11 de marzo, 9:00" in sent
    with app.app_context():
        operations.confirm_time(db.session.execute(db.select(Appointment)).scalar_one().consultation_request,
                                operations.SYSTEM)
        db.session.commit()
        reference = db.session.execute(db.select(ConsultationRequest.reference)).scalar_one()
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    [email] = [m for m in smtp.messages if m["Subject"].startswith("Su consulta está confirmada")]
    text = email.get_body(("plain",)).get_content()
    assert "Su consulta en Juniper Physical Therapy está confirmada." in text
    assert "Cuándo: jueves 11 de marzo, 9:00" in text and "Si faltan menos de 24 horas para la consulta, llámenos" in text
    assert "Dear" not in text and "When:" not in text
    [invite] = [part for part in email.iter_attachments() if part.get_filename() == "consultation.ics"]
    [event] = Calendar.from_ical(invite.get_content()).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Consulta en Juniper Physical Therapy"
    assert str(event["DESCRIPTION"]).startswith(f"Referencia {reference}. Para cambiarla o cancelarla, llame al")


@pytest.mark.parametrize("state", ["empty", "with errors"])
def test_the_spanish_form_is_accessible_on_a_phone(browser, live_app, state):  # noqa: F811
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_app[1] + "/es/consultation")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    if state == "with errors":
        page.get_by_label("Nombre completo").fill("María López")
        page.get_by_label("Dirección de correo electrónico").fill("maria@example")
        page.get_by_role("button", name="Enviar mi solicitud").click()
        summary = page.get_by_role("alert")
        expect(summary).to_contain_text("Hay un problema con su solicitud")
        expect(summary.get_by_role("link", name="Escriba un correo electrónico con el formato correcto")).to_be_visible()
        assert page.title().startswith("Error: ")
    assert_accessible(page, f"the Spanish form, {state}")
    assert_no_sideways_scroll(page, f"the Spanish form, {state}")
    context.close()
