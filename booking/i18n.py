"""Spanish for patients, English for staff: the locale comes from the URL (/es/...), emails from the request.

English pages keep their URLs. Each patient-facing blueprint is registered a second time under /es,
named <blueprint>_es; `url_for` in templates then stays in the page's language by itself.
"""

import os

from flask import Blueprint, Flask, current_app, has_request_context, request, url_for
from flask_babel import Babel, force_locale, get_locale

DEFAULT_LOCALE = "en"
LOCALES = ("en", "es")
SPANISH_PREFIX = "/es"
SPANISH_SUFFIX = "_es"

babel = Babel()


def N_(text: str) -> str:
    """Marks a message for translation where it is defined; its user translates it in the page's language."""
    return text


def select_locale() -> str:
    """Spanish under /es, English everywhere else (staff pages, the clinic's emails, error pages elsewhere)."""
    if not has_request_context():
        return DEFAULT_LOCALE  # the outbox renders a patient's email inside force_locale(their language)
    path = request.path
    return "es" if path == SPANISH_PREFIX or path.startswith(SPANISH_PREFIX + "/") else DEFAULT_LOCALE


def in_language(language: str):
    """Render an email in the patient's language, outside any request (the outbox)."""
    return force_locale(language if language in LOCALES else DEFAULT_LOCALE)


def current_language() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def _endpoint_in(endpoint: str, language: str) -> str:
    """The same page's endpoint in `language`, if that page has one in both languages."""
    blueprint, dot, view = endpoint.partition(".")
    if not dot:
        return endpoint
    base = blueprint.removesuffix(SPANISH_SUFFIX)
    if base not in current_app.config["LOCALIZED_BLUEPRINTS"]:
        return endpoint
    return f"{base}{SPANISH_SUFFIX}.{view}" if language == "es" else f"{base}.{view}"


def localized_url_for(endpoint: str, *, _language: str | None = None, **values) -> str:
    """url_for that keeps a patient in the language of the page they are on (or `_language`)."""
    language = _language or current_language()
    return url_for(_endpoint_in(endpoint, language), **values)


def this_page_in(language: str) -> str | None:
    """The path of this page in the other language (for the language link), or None if it has no twin."""
    endpoint = request.endpoint or ""
    twin = _endpoint_in(endpoint, language)
    if twin == endpoint and _endpoint_in(endpoint, "en" if language == "es" else "es") == endpoint:
        return None
    return url_for(twin, **(request.view_args or {}))


def alternates() -> list[tuple[str, str]]:
    """(hreflang, absolute URL) for this page in each language, itself included, and x-default (English)."""
    endpoint = request.endpoint or ""
    if _endpoint_in(endpoint, "en") == endpoint and _endpoint_in(endpoint, "es") == endpoint:
        return []
    base = current_app.config["PUBLIC_BASE_URL"]
    args = request.view_args or {}
    english = base + url_for(_endpoint_in(endpoint, "en"), **args)
    spanish = base + url_for(_endpoint_in(endpoint, "es"), **args)
    return [("en", english), ("es", spanish), ("x-default", english)]


def register_in_both_languages(app: Flask, blueprint: Blueprint) -> None:
    """The blueprint at its own URLs (English) and again under /es (Spanish)."""
    app.register_blueprint(blueprint)
    app.register_blueprint(blueprint, name=blueprint.name + SPANISH_SUFFIX,
                           url_prefix=SPANISH_PREFIX + (blueprint.url_prefix or ""))
    app.config.setdefault("LOCALIZED_BLUEPRINTS", set()).add(blueprint.name)


class MissingCatalogue(RuntimeError):
    """A language the app serves has no compiled catalogue: its pages would show English."""


def require_catalogues(directory: str) -> None:
    """Refuse to start when a served language lacks its .mo (compiled by the build, or `make translations`)."""
    for language in LOCALES:
        if language == DEFAULT_LOCALE:
            continue
        path = os.path.join(directory, language, "LC_MESSAGES", "messages.mo")
        if not os.path.isfile(path):
            raise MissingCatalogue(
                f"No compiled {language} catalogue at {path}: /{language}/ pages would be in English. "
                "Install with pip (the build compiles it) or run `make translations` in a checkout.")


def register(app: Flask) -> None:
    require_catalogues(os.path.join(app.root_path, "translations"))
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations",
                   default_domain="messages")
    app.jinja_env.globals.update(url_for=localized_url_for, alternates=alternates,
                                 current_language=current_language, this_page_in=this_page_in)
