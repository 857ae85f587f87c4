"""Helpers every template may call, so form controls carry their errors the same way everywhere."""

import re

from flask import Flask
from markupsafe import Markup, escape

# What a reader takes in as one thing, found in free text (history notes, the clinic's own notices): a
# reference, a phone number as people write it, a time as the app writes it in English or Spanish.
_KEEP_TOGETHER = re.compile(
    r"JPT-[0-9A-Z]{4}-[0-9A-Z]{4}"
    r"|\+?\(?\d{1,3}\)?[ .-]?\(?\d{2,4}\)?[ .-]\d{3,4}(?:[ .-]\d{1,4})?"
    r"|\b[A-Za-záéíóúñ]+ \d{1,2} (?:de )?[A-Za-záéíóúñ]+, \d{1,2}:\d{2}(?: [ap]m)?"
)


def control_attrs(field, hint: str | None = None, **attrs) -> dict:
    """Attributes for field(**attrs): what the page says, plus hint/error links and aria-invalid.

    WTForms adds maxlength from the field's Length validator, so a limit is written once, in the form.
    `required` is left off: the form is novalidate and each label says which questions are optional.
    """
    described_by = []
    if hint:
        described_by.append(f"{field.id}-hint")
    if field.errors:
        described_by.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    attrs.setdefault("required", False)
    return {key: value for key, value in attrs.items() if value is not None}


def keep_together(text: str | None) -> Markup:
    """Free text, escaped, with each reference, phone number and time in it wrapped so it never breaks."""
    escaped = str(escape(text or ""))
    return Markup(_KEEP_TOGETHER.sub(lambda match: f'<span class="nowrap">{match.group(0)}</span>', escaped))


def register(app: Flask) -> None:
    app.add_template_global(control_attrs)
    app.add_template_filter(keep_together)
