"""The consent form: the safety questions again, each key statement confirmed, and the typed full name."""

import re
import unicodedata

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from booking.consent.text import STATEMENTS
from booking.intake.choices import choices
from booking.intake.forms import CSRF_MESSAGES, AllowedChoice, SingleLine, strip_text
from booking.models import NAME_MAX

STATEMENT_MISSING = {
    "read": _l("Tick the box to confirm you have read the consent."),
    "risks": _l("Tick the box to confirm you understand the effects and risks."),
    "alternatives": _l("Tick the box to confirm you know there are other treatments."),
    "stop": _l("Tick the box to confirm you know you can stop and withdraw."),
    "answers": _l("Tick the box to confirm your answers are true."),
}


def name_words(name: str) -> list[str]:
    """A name as comparable words: accents, case, punctuation and spacing set aside ("José  O'Neil" ~ "jose oneil")."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    plain = re.sub(r"['’.\-]", "", plain.casefold())
    return re.findall(r"\w+", plain)


def names_match(typed: str, on_file: str) -> bool:
    """The same words in any order; or one name holds every word of the other (a middle name added or left out)."""
    typed_words, file_words = set(name_words(typed)), set(name_words(on_file))
    if not typed_words or not file_words:
        return False
    if typed_words == file_words:
        return True
    shorter, longer = sorted((typed_words, file_words), key=len)
    return len(shorter) >= 2 and shorter <= longer


class ConsentForm(FlaskForm):
    screening = SelectMultipleField(
        choices=[choice for choice in choices("screening") if choice.value != "none"], validate_choice=False,
        validators=[AllowedChoice(_l("Choose only from the safety questions listed."))],
    )
    read = BooleanField(validators=[DataRequired(STATEMENT_MISSING["read"])])
    risks = BooleanField(validators=[DataRequired(STATEMENT_MISSING["risks"])])
    alternatives = BooleanField(validators=[DataRequired(STATEMENT_MISSING["alternatives"])])
    stop = BooleanField(validators=[DataRequired(STATEMENT_MISSING["stop"])])
    answers = BooleanField(validators=[DataRequired(STATEMENT_MISSING["answers"])])
    full_name = StringField(filters=[strip_text], validators=[
        DataRequired(_l("Type your full name to sign.")),
        Length(max=NAME_MAX, message=_l("Your name is too long: keep it to %(max)d characters.", max=NAME_MAX)),
        SingleLine(_l("Type your name on one line.")),
    ])

    name_on_file = ""  # set by the view: the name the request was sent with

    def statement_fields(self):
        return [(self[key], STATEMENTS[key]) for key in STATEMENTS]

    def confirmed_statements(self) -> list[str]:
        return [key for key in STATEMENTS if self[key].data]

    def validate_full_name(self, field):
        if field.data and not names_match(field.data, self.name_on_file):
            raise ValidationError(gettext("Type your full name as you gave it when you asked for the consultation."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if "csrf_token" in self:  # Flask-WTF words these in English: shown in the page's language
            self.csrf_token.errors = [gettext(message) if message in CSRF_MESSAGES else message
                                      for message in self.csrf_token.errors]
        return valid

    def expired(self) -> bool:
        return "csrf_token" in self and bool(self.csrf_token.errors)


class WithdrawForm(FlaskForm):
    """Only the CSRF token: the button is the whole answer."""
