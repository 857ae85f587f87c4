"""Helpers every template may call, so form controls carry their errors the same way everywhere."""

from flask import Flask


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


def register(app: Flask) -> None:
    app.add_template_global(control_attrs)
