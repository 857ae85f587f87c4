"""A test client that sends forms as a browser does, with the hidden fields of the page they are on."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask.testing import FlaskClient


@dataclass
class Form:
    """One <form> on a page: where it sends to, how, and the hidden fields a browser would send with it."""

    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(Form(action=attrs.get("action") or "", method=(attrs.get("method") or "get").lower()))
        elif tag == "input" and attrs.get("type") == "hidden" and attrs.get("name") and self.forms:
            self.forms[-1].hidden[attrs["name"]] = attrs.get("value") or ""


def forms_in(html: str) -> list[Form]:
    """Every form on a page, in order, read with the standard library's HTML parser."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def hidden_fields(html: str, action: str | None = None) -> dict[str, str]:
    """The hidden fields of the form that posts to `action` (without one, of the first form that posts)."""
    forms = [f for f in forms_in(html) if f.method == "post"]
    chosen = [f for f in forms if f.action == action] if action else forms
    if not chosen:
        raise AssertionError(f"no form posting to {action!r} on the page")
    return dict(chosen[0].hidden)


class FormClient(FlaskClient):
    """FlaskClient plus `post_form`: open the page, take its form's CSRF and other hidden fields, post."""

    def hidden_fields(self, page: str, action: str | None = None) -> dict[str, str]:
        """GET `page` as a browser would and return the hidden fields of its form posting to `action`."""
        response = self.get(page)
        assert response.status_code == 200, (page, response.status_code)
        return hidden_fields(response.get_data(as_text=True), action)

    def csrf_token(self, page: str = "/staff/login") -> str:
        """A CSRF token valid for this client's session, read from the first form that posts on `page`."""
        return self.hidden_fields(page)["csrf_token"]

    def post_form(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """Post `data` to `url` from the form on `page` (default: `url` itself), hidden fields included."""
        fields = self.hidden_fields(page or url, action=url)
        return self.post(url, data={**fields, **(data or {})}, **kwargs)
