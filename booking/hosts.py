"""Hosts: in production the app answers only for PUBLIC_BASE_URL's host, and every redirect it makes is built
on PUBLIC_BASE_URL, never on the Host header a client sent (a forged one cannot send a patient elsewhere)."""

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from werkzeug.exceptions import BadRequest, SecurityError
from werkzeug.wsgi import get_host


def public_host(app: Flask) -> str:
    return urlsplit(app.config["PUBLIC_BASE_URL"]).hostname or ""


class TrustedHosts:
    """WSGI middleware, outside the page cache: a request for any other host gets 400 before any page."""

    def __init__(self, app: Callable, trusted: list[str]):
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            get_host(environ, trusted_hosts=self.trusted)
        except SecurityError:
            return BadRequest("Unknown host.")(environ, start_response)
        return self.app(environ, start_response)


def on_public_base(app: Flask, response):
    """An absolute redirect (Werkzeug's slash redirects are) rebuilt on PUBLIC_BASE_URL's scheme and host."""
    location = response.headers.get("Location")
    if not location:
        return response
    parts = urlsplit(location)
    base = urlsplit(app.config["PUBLIC_BASE_URL"])
    if parts.netloc and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        response.headers["Location"] = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
    return response


def register(app: Flask) -> None:
    """Production: TRUSTED_HOSTS defaults to PUBLIC_BASE_URL's host (add others, e.g. for a health check)."""
    if app.config["BOOKING_ENV"] == "production" and not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = [public_host(app)]
    if app.config.get("TRUSTED_HOSTS"):
        app.wsgi_app = TrustedHosts(app.wsgi_app, list(app.config["TRUSTED_HOSTS"]))
    app.after_request(lambda response: on_public_base(app, response))
