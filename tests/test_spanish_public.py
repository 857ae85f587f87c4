"""The information page, privacy notice, language help and error pages in Spanish, under /es."""

import re
from html.parser import HTMLParser

import pytest

from tests.test_browser import PHONE, assert_accessible, assert_no_sideways_scroll, browser, live_app, live_server  # noqa: F401

BASE_URL = "https://juniper.example"


class PageParts(HTMLParser):
    """What a reader and a search engine see of a page: its lang, headings, links, alternates and text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.alternates: list[tuple[str, str]] = []
        self.links: list[dict] = []
        self.headings: dict[str, list[str]] = {}
        self.texts: list[str] = []
        self._raw: list[str] = []
        self._heading: str | None = None
        self._in_link = False
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "link" and attrs.get("rel") == "alternate":
            self.alternates.append((attrs["hreflang"], attrs["href"]))
        elif tag == "a":
            self.links.append({**attrs, "text": ""})
            self._in_link = True
        elif tag in ("h1", "h2", "h3", "title"):
            self._heading = tag
            self.headings.setdefault(tag, []).append("")
        if tag in ("ul",) and attrs.get("class") == "language-notices":
            self._skip += 1  # each notice is in its own language on purpose

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = False
        if tag == self._heading:
            self._heading = None
        if tag == "ul" and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._heading:
            self.headings[self._heading][-1] += data
        if self._in_link:
            self.links[-1]["text"] += data
        self._raw.append(data)
        words = " ".join(data.split())
        if words and not self._skip:
            self.texts.append(words)

    @property
    def text(self) -> str:
        """All the page's text as one line, as a reader would say it."""
        return " ".join("".join(self._raw).split())


def parts(response) -> PageParts:
    return PageParts(response.get_data(as_text=True))


def english_left_on(spanish_page: PageParts, english_page: PageParts, clinic_words: set[str]) -> set[str]:
    """Sentences the Spanish page shows exactly as the English one does, apart from names and numbers."""
    def sentences(page):
        return {text for text in page.texts if re.search(r"[a-zA-Z]{3}", text)}
    return {text for text in sentences(spanish_page) & sentences(english_page)
            if not any(word in text for word in clinic_words)}


@pytest.fixture
def clinic(make_app):
    """The app with a public address and retention period of its own, so the page must take them from config."""
    return make_app(PUBLIC_BASE_URL=BASE_URL, RETENTION_DAYS=123)


@pytest.fixture
def web(clinic):
    return clinic.test_client()


def clinic_words(app) -> set[str]:
    cfg = app.config
    return {cfg["CLINIC_NAME"], cfg["CLINIC_PHONE"], cfg["CLINIC_EMERGENCY_NUMBER"], cfg["CLINIC_PUBLIC_EMAIL"],
            *cfg["CLINIC_ADDRESS"],
            "Cookies", "English", "Español"}


def test_spanish_info_page_is_in_spanish_with_punción_seca_in_its_heading(web, clinic):
    response = web.get("/es/")
    assert response.status_code == 200
    page = parts(response)
    assert page.lang == "es"
    assert "punción seca" in page.headings["h1"][0].lower()
    assert page.headings["title"][0].startswith("Punción seca | ")
    assert "¿Qué es la punción seca?" in page.headings["h2"]
    assert "Efectos secundarios y seguridad" in page.headings["h2"]
    text = page.text
    for words in ["fisioterapeuta", "puntos gatillo", "acupuntura", "anticoagulantes", "embarazada",
                  "marcapasos", "neumotórax", "En caso de emergencia", "Aviso de privacidad",
                  "Ayuda gratuita con el idioma", clinic.config["CLINIC_RESPONSE_TIME_ES"],
                  *clinic.config["CLINIC_HOURS_ES"]]:
        assert words in text, words
    assert english_left_on(page, parts(web.get("/")), clinic_words(clinic)) == set()


def test_spanish_info_page_keeps_patients_in_spanish(web):
    page = parts(web.get("/es/"))
    hrefs = {link["text"].strip(): link.get("href") for link in page.links}
    assert hrefs["Pedir una consulta"] == "/es/consultation"
    assert hrefs["aviso de privacidad"] == "/es/privacy"
    assert hrefs["Ayuda gratuita con el idioma"] == "/es/language-help"
    assert hrefs["Ir al contenido principal"] == "#main"


@pytest.mark.parametrize("path", ["/", "/es/"])
def test_each_version_lists_both_and_itself_with_absolute_urls(web, path):
    page = parts(web.get(path))
    assert page.alternates == [("en", BASE_URL + "/"), ("es", BASE_URL + "/es/"), ("x-default", BASE_URL + "/")]


def test_each_version_links_to_the_other_in_its_own_language(web):
    english = web.get("/").get_data(as_text=True)
    spanish = web.get("/es/").get_data(as_text=True)
    assert '<a href="/es/" hreflang="es" lang="es">Español</a>' in english
    assert '<a href="/" hreflang="en" lang="en">English</a>' in spanish
    assert "Español</a>" not in spanish and "English</a>" not in english


@pytest.mark.parametrize("path", ["/privacy", "/language-help"])
def test_the_other_patient_pages_list_their_alternates(web, path):
    for version in (path, "/es" + path):
        assert parts(web.get(version)).alternates == [
            ("en", BASE_URL + path), ("es", BASE_URL + "/es" + path), ("x-default", BASE_URL + path)]


def test_spanish_privacy_notice(web, clinic):
    response = web.get("/es/privacy")
    assert response.status_code == 200
    page = parts(response)
    assert page.lang == "es"
    assert page.headings["h1"] == ["Aviso de privacidad"]
    assert page.headings["h2"] == ["Qué información recogemos", "Para qué la recogemos", "Quién la ve",
                                   "Cuánto tiempo la guardamos", "Sus derechos", "Cookies"]
    text = page.text
    assert "Guardamos su solicitud durante 123 días" in text
    assert "nunca contiene datos de salud" in text
    email = clinic.config["CLINIC_PUBLIC_EMAIL"]
    assert [link["href"] for link in page.links if link["text"] == email] == [
        link["href"] for link in parts(web.get("/privacy")).links if link["text"] == email]
    assert f"llámenos al {clinic.config['CLINIC_PHONE']} o escríbanos a {email}." in text
    assert english_left_on(page, parts(web.get("/privacy")), clinic_words(clinic)) == set()


def test_spanish_language_help(web, clinic):
    response = web.get("/es/language-help")
    assert response.status_code == 200
    page = parts(response)
    assert page.lang == "es"
    assert page.headings["h1"] == ["Ayuda gratuita con el idioma"]
    assert page.headings["title"][0].startswith("Ayuda gratuita con el idioma | ")
    text = page.text
    assert f"sin ningún costo. Llámenos al {clinic.config['CLINIC_PHONE']}." in text
    assert english_left_on(page, parts(web.get("/language-help")), clinic_words(clinic)) == set()


@pytest.mark.parametrize("method, path, status, heading", [
    ("GET", "/es/no-such-page", 404, "No encontramos la página"),
    ("PUT", "/es/", 405, "Esa acción no está disponible aquí"),
    ("POST", "/es/privacy", 405, "Esa acción no está disponible aquí"),
])
def test_error_pages_under_es_are_in_spanish(web, clinic, method, path, status, heading):
    response = web.open(path, method=method)
    assert response.status_code == status
    page = parts(response)
    assert page.lang == "es"
    assert page.headings["h1"] == [heading]
    assert f"Puede llamarnos al {clinic.config['CLINIC_PHONE']}." in page.text
    back = [link for link in page.links if link["text"] == "Volver a la página sobre la punción seca"]
    assert back and back[0]["href"] == "/es/"
    english = parts(web.open(path.removeprefix("/es") or "/", method=method))
    assert english.lang == "en" and english_left_on(page, english, clinic_words(clinic)) == set()


def test_unexpected_fault_under_es_shows_the_spanish_500_page(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/es/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/es/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert '<html lang="es">' in html and "Lo sentimos, algo falló de nuestro lado" in html
    assert "secret internals" not in html


def test_spanish_info_page_is_small_and_needs_few_requests(client):
    """The same budget as the English page: under 30 kB in at most 4 requests."""
    page = client.get("/es/")
    html = page.get_data(as_text=True)
    assert '<html lang="es">' in html
    assets = re.findall(r'<link(?![^>]*rel="alternate")[^>]+href="([^"]+)"', html)
    assets += re.findall(r'<script[^>]+src="([^"]+)"', html)
    assets += re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert 1 + len(assets) <= 4
    total = len(page.data) + sum(len(client.get(url).data) for url in assets)
    assert total < 30_000, total


@pytest.mark.parametrize("path, heading", [("/es/", "La punción seca en"), ("/es/privacy", "Aviso de privacidad"),
                                           ("/es/language-help", "Ayuda gratuita con el idioma"),
                                           ("/es/no-such-page", "No encontramos la página")])
def test_spanish_pages_are_accessible_on_a_phone(browser, live_server, path, heading):  # noqa: F811
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server + path)
    assert page.locator("html").get_attribute("lang") == "es"
    assert heading in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page, path)
    assert_no_sideways_scroll(page, path)
    context.close()


def test_language_help_with_a_right_to_left_notice_fits_a_phone_in_english_too(browser, live_server):  # noqa: F811
    """The Arabic notice is right-to-left: a list bullet on its right once pushed the page 2 px sideways."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server + "/language-help")
    assert page.locator('.language-notices li[dir="rtl"]').count() >= 1
    assert_no_sideways_scroll(page, "/language-help")
    context.close()
