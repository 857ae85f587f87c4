"""Refuse passwords that appear in zxcvbn's list of the 30,000 commonest (from real password leaks)."""

from functools import cache

from wtforms.validators import ValidationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

COMMON_PASSWORD = "That password is one of the most common ones, which attackers try first. Choose another."


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """Letter case and surrounding spaces do not make a common password uncommon."""
    return password.strip().lower() in _common()


def not_common(_form, field) -> None:
    """WTForms validator for every field where a new password is chosen."""
    if field.data and is_common(field.data):
        raise ValidationError(COMMON_PASSWORD)
