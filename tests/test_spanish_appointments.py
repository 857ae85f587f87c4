"""A Spanish-speaking patient's private appointment pages, under /es, and the links their emails carry there."""

from datetime import UTC, date
from urllib.parse import urlsplit

import pytest
import time_machine

from booking.appointments.links import manage_url
from booking.extensions import db
from booking.models import WaitlistEntry
from tests.appointment_helpers import NOW, manage_path, offered_link
from tests.client import hidden_fields
from tests.factories import first_free_time, make_confirmed_appointment, make_practitioner, make_request
from tests.test_browser import PHONE, assert_accessible, assert_no_sideways_scroll, browser, live_app  # noqa: F401
from tests.test_spanish_public import parts

THURSDAY = date(2027, 3, 11)  # ten days after NOW, well outside the cancel cutoff
BASE_URL = "https://juniper.example"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def clinic(make_app):
    return make_app(PUBLIC_BASE_URL=BASE_URL)


def book(language: str, practitioner=None, **request_overrides):
    """A confirmed consultation for a request made in `language`: Thursday 11 March at 9:00 (New York), if free."""
    practitioner = practitioner or make_practitioner()
    start = first_free_time(practitioner.id, THURSDAY).start
    consultation = make_request(language=language, **request_overrides)
    return make_confirmed_appointment(consultation, practitioner=practitioner, start=start)


@pytest.fixture
def spanish_booking(clinic, clock):
    """Maria wrote in Spanish: her appointment's manage path, and the practitioner and start it holds."""
    with clinic.app_context():
        appointment = book("es")
        return manage_path(appointment), appointment.practitioner_id, appointment.starts_at.replace(tzinfo=UTC)


def test_the_links_in_a_spanish_patients_emails_open_the_spanish_pages(clinic, clock):
    with clinic.app_context():
        spanish = book("es")
        english = book("en", spanish.practitioner, email="sam@example.net")
        start = spanish.starts_at.replace(tzinfo=UTC)
        assert manage_url(spanish).startswith(BASE_URL + "/es/appointment/")
        assert manage_url(english).startswith(BASE_URL + "/appointment/")
        assert not manage_url(english).startswith(BASE_URL + "/es/")
        spanish_wait = offered_link(spanish.consultation_request, spanish.practitioner_id, start)
        english_wait = offered_link(english.consultation_request, english.practitioner_id, start)
        assert spanish_wait.startswith(BASE_URL + "/es/appointment/freed/")
        assert english_wait.startswith(BASE_URL + "/appointment/freed/")


def test_the_manage_page_under_es_is_spanish_with_a_spanish_date(clinic, spanish_booking):
    path, _, _ = spanish_booking
    assert path.startswith("/es/appointment/")
    response = clinic.test_client().get(path)
    assert response.status_code == 200
    page = parts(response)
    assert page.lang == "es"
    assert page.headings["h1"] == ["Su consulta"]
    assert page.headings["title"][0].startswith("Su consulta | ")
    assert {"Cambiar o cancelar", "Antes de venir"} <= set(page.headings["h2"])
    text = page.text
    assert "jueves 11 de marzo, 9:00" in text
    for words in ["Cuándo", "Dónde", "Referencia", "Confirmada", "Cambiar la hora", "Cancelar esta consulta",
                  "Esta página es privada"]:
        assert words in text, words
    for english in ["Your consultation", "Thursday", "March", "Change the time", "Before you come"]:
        assert english not in text, english
    links = {link["text"].strip(): link.get("href") for link in page.links}
    assert links["Cambiar la hora"] == path + "/change"
    assert links["English"] == path.removeprefix("/es")


def test_the_same_link_without_es_stays_english(clinic, spanish_booking):
    path, _, _ = spanish_booking
    page = parts(clinic.test_client().get(path.removeprefix("/es")))
    assert page.lang == "en" and page.headings["h1"] == ["Your consultation"]
    assert "Thursday 11 March, 9:00 am" in page.text


def test_cancelling_under_es_confirms_in_spanish(clinic, spanish_booking):
    path, _, _ = spanish_booking
    client = clinic.test_client()
    fields = hidden_fields(client.get(path + "/cancel").get_data(as_text=True), path + "/cancel")
    response = client.post(path + "/cancel", data=fields)
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    page = parts(client.get(path))
    assert page.lang == "es"
    assert "Su consulta está cancelada." in page.text
    assert "Esta consulta está cancelada." in page.text and "Cancelada" in page.text
    assert "Cancelar esta consulta" not in page.text
    links = {link["text"].strip(): link.get("href") for link in page.links}
    assert links["envíenos una nueva solicitud"] == "/es/consultation"
    again = client.post(path + "/cancel", data=fields)  # a double click
    assert again.status_code == 409 and "No se ha cambiado nada" in parts(again).text


def test_the_change_picker_under_es_has_spanish_days_times_and_errors(clinic, spanish_booking):
    path, _, _ = spanish_booking
    client = clinic.test_client()
    picker = client.get(path + "/change?from=2027-03-08")
    page = parts(picker)
    assert page.lang == "es" and page.headings["h1"] == ["Elija otra hora"]
    html = picker.get_data(as_text=True)
    assert "<legend>lunes 8 de marzo</legend>" in html
    assert '<span class="visually-hidden">lunes 8 de marzo, </span><span class="picker-time">9:00</span>' in html  # a time, in Spanish
    assert " am<" not in html and "Monday" not in html
    fields = hidden_fields(html, path + "/change")
    wrong = client.post(path + "/change", data={**fields, "slot": "not a time"})
    assert "Elija una de las horas de la lista." in parts(wrong).text
    assert parts(wrong).headings["title"][0].startswith("Error: Elija otra hora")
    moved = client.post(path + "/change", data={**fields, "slot": "2027-03-08T09:00:00-05:00"})
    assert moved.status_code == 303 and moved.headers["Location"].startswith("/es/appointment/")
    assert "Su consulta ahora es el lunes 8 de marzo, 9:00." in parts(client.get(moved.headers["Location"])).text


def test_the_freed_time_pages_under_es_are_spanish(clinic, spanish_booking):
    path, practitioner_id, start = spanish_booking
    client = clinic.test_client()
    with clinic.app_context():
        waiting = make_request(language="es", email="lucia@example.org", notifications=False)
        db.session.add(WaitlistEntry(consultation_request=waiting))
        db.session.commit()
        link = urlsplit(offered_link(waiting, practitioner_id, start)).path
    assert link.startswith("/es/appointment/freed/")
    taken = parts(client.get(link))  # Maria still holds it
    assert taken.lang == "es" and taken.headings["h1"] == ["Otra persona fue más rápida"]
    assert "jueves 11 de marzo, 9:00" in taken.text
    fields = hidden_fields(client.get(path + "/cancel").get_data(as_text=True), path + "/cancel")
    assert client.post(path + "/cancel", data=fields).status_code == 303
    free = parts(client.get(link))
    assert free.headings["h1"] == ["Se ha liberado una hora de consulta"]
    assert "jueves 11 de marzo, 9:00" in free.text and "Reservar esta hora" in free.text
    fields = hidden_fields(client.get(link).get_data(as_text=True), link)
    booked = client.post(link, data=fields)
    assert booked.status_code == 303 and booked.headers["Location"].startswith("/es/appointment/")
    assert "Le reservamos la hora." in parts(client.get(booked.headers["Location"])).text
    used = parts(client.get(link))  # used once: it opens nothing now, not even the appointment it booked
    assert used.headings["h1"] == ["Este enlace ya no funciona"]
    assert "Ver su consulta" not in used.text


def test_a_broken_link_under_es_says_so_in_spanish(clinic):
    response = clinic.test_client().get("/es/appointment/nonsense")
    assert response.status_code == 404
    page = parts(response)
    assert page.lang == "es" and page.headings["h1"] == ["Este enlace ya no funciona"]


def test_the_spanish_manage_page_in_chromium_is_accessible(browser, live_app):
    from datetime import timedelta

    from playwright.sync_api import expect

    app, base = live_app
    with app.app_context():
        practitioner = make_practitioner()
        start = first_free_time(practitioner.id, date.today() + timedelta(days=8)).start
        appointment = make_confirmed_appointment(make_request(language="es"), practitioner=practitioner,
                                                 start=start)
        path = manage_path(appointment)
    context = browser.new_context(viewport=PHONE, locale="es-ES")
    page = context.new_page()
    try:
        page.goto(base + path)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", level=1)).to_have_text("Su consulta")
        assert_accessible(page, "the Spanish manage page")
        assert_no_sideways_scroll(page, "the Spanish manage page")
        page.get_by_role("link", name="Cambiar la hora").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Elija otra hora")
        page.get_by_role("button", name="Cambiar mi consulta a esta hora").click()  # nothing chosen
        expect(page.get_by_role("alert")).to_contain_text("Elija una de las horas de la lista.")
        assert_accessible(page, "the Spanish change picker showing an error")
        assert_no_sideways_scroll(page, "the Spanish change picker")
        page.get_by_role("link", name="Mantener mi hora actual").click()
        page.get_by_role("link", name="Cancelar esta consulta").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("¿Cancelar su consulta del")
        assert_accessible(page, "the Spanish question before cancelling")
        page.get_by_role("button", name="Sí, cancelar esta consulta").click()
        expect(page.get_by_role("status")).to_contain_text("Su consulta está cancelada.")
        assert_accessible(page, "the Spanish manage page after cancelling")
    finally:
        context.close()
