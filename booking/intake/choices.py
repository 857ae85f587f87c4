"""The form's allow-listed answers and their wording, loaded from choices.toml."""

from flask_babel import lazy_gettext
from wtforms.fields.choices import SelectChoice

from booking.intake.wording import load_wording


def all_choices() -> dict[str, dict[str, str]]:
    return load_wording("choices.toml")


def choices(group: str) -> list[SelectChoice]:
    """The options for one question (stored key, patient-facing words in the page's language), in order."""
    return [SelectChoice(key, lazy_gettext(words)) for key, words in all_choices()[group].items()]


def label(group: str, key: str) -> str:
    """The words for a stored answer; an answer no longer in the file shows as its key."""
    return all_choices()[group].get(key, key)
