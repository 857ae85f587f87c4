"""The form's allow-listed answers and their wording, loaded from choices.toml."""

import tomllib
from functools import cache
from pathlib import Path

from wtforms.fields.choices import SelectChoice

CHOICES_FILE = Path(__file__).with_name("choices.toml")


@cache
def all_choices() -> dict[str, dict[str, str]]:
    with CHOICES_FILE.open("rb") as fh:
        return tomllib.load(fh)


def choices(group: str) -> list[SelectChoice]:
    """The options for one question (stored key, patient-facing words), in the file's order."""
    return [SelectChoice(key, words) for key, words in all_choices()[group].items()]


def label(group: str, key: str) -> str:
    """The words for a stored answer; an answer no longer in the file shows as its key."""
    return all_choices()[group].get(key, key)
