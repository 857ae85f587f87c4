"""The consultation form: every answer allow-listed, length-limited and explained when wrong."""

import re
import secrets
from datetime import datetime
from functools import cache

from babel.support import Translations
from flask import current_app
from flask_babel import LazyString, format_number, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from booking.appointments.slots import parse_slot_value
from booking.clock import clinic_zone
from booking.i18n import N_
from booking.intake.choices import choices
from booking.models import CONDITION_OTHER_MAX, DESCRIPTION_MAX, EMAIL_MAX, NAME_MAX, PHONE_MAX
from booking.parsing import row_id
from booking.plain_text import Visible, nfc
from booking.phone import PHONE_HINT_EXAMPLE, NotAPhoneNumber, e164, parse_phone

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
TEXT_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SUBMISSION_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
NO_TIME = "none"


# Flask-WTF words its CSRF errors in English only; marked here so even that message is in the page's language.
CSRF_MESSAGES = (N_("The CSRF token is missing."), N_("The CSRF session token is missing."),
                 N_("The CSRF token has expired."), N_("The CSRF token is invalid."), N_("The CSRF tokens do not match."))
NO_TIME_SUITS = N_("None of these times suit me")
INVISIBLE = _l("This answer contains invisible formatting characters (such as text-direction marks). "
               "Please type it again without them.")


def limit(number: int) -> LazyString:
    """A length limit written the page's way: "2,000" in English, "2000" in Spanish."""
    return LazyString(format_number, number)


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


def tidy_free_text(value):
    """Keep line breaks (as \\n, so the length matches the browser's count) and tabs; drop other controls."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return TEXT_CONTROL_CHARS.sub("", value).strip()


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


class SingleLine:
    """A one-line answer may not carry line breaks or control characters (they could forge email headers)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data and CONTROL_CHARS.search(field.data):
            raise ValidationError(self.message)


class AllowedChoice:
    """The answer must be one we offered, so nothing else reaches the database or an email."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data is None:
            return  # nothing posted at all (not even an empty list): whether it is required is another check
        offered = {choice.value for choice in field.choices}
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in offered for value in values):
            raise ValidationError(self.message)


class PhoneNumber:
    """Any way people write a number, read in CLINIC_COUNTRY unless it starts with +; keeps the E.164 form."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        try:
            number = parse_phone(field.data, current_app.config["CLINIC_COUNTRY"])
        except NotAPhoneNumber:
            raise ValidationError(self.message) from None
        field.e164 = e164(number)


def allowed_choice(field_class, group: str, message: str, *, optional: bool = False, blank: str | None = None,
                   required: str | None = None):
    """A choice field that accepts only the answers offered in choices.toml, with our own message."""
    offered = choices(group)
    if blank is not None:
        offered = [SelectChoice("", blank), *offered]
    validators = [Optional()] if optional else []
    if required:
        validators.append(DataRequired(required) if field_class is SelectMultipleField else InputRequired(required))
    validators.append(AllowedChoice(message))
    return field_class(choices=offered, validate_choice=False, validators=validators)


@cache
def wtforms_translations(locale: str) -> Translations:
    """WTForms' own messages in one language, read from disk once per process (Flask-WTF reads them per request)."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


class ConsultationForm(FlaskForm):
    """What a prospective patient tells us; wording of labels and hints lives in the template."""

    class Meta:
        """Flask-WTF's messages in the page's language, from a catalogue loaded once per language."""

        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_translations(str(get_locale()))

    name = StringField(
        filters=[strip_text, nfc],
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=NAME_MAX, message=_l("Your name must be %(max)s characters or fewer.", max=limit(NAME_MAX))),
            SingleLine(_l("Your name cannot contain line breaks or control characters.")),
            Visible(INVISIBLE),
        ],
    )
    email = EmailField(
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("Your email address must be %(max)s characters or fewer.",
                                              max=limit(EMAIL_MAX))),
            SingleLine(_l("Enter an email address in the correct format, like name@example.com.")),
            Email(_l("Enter an email address in the correct format, like name@example.com.")),
        ],
    )
    phone = TelField(
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=PHONE_MAX, message=_l("Your phone number must be %(max)s characters or fewer.", max=limit(PHONE_MAX))),
            PhoneNumber(_l(
                "Enter a phone number we can call, like %(example)s. "
                "For a number in another country, start with + and its country code.",
                example=PHONE_HINT_EXAMPLE,
            )),
        ],
    )
    contact_method = allowed_choice(
        RadioField, "contact_method", _l("Choose how you would like us to contact you from the options listed."),
        required=_l("Choose how you would like us to contact you."),
    )
    consultation_language = allowed_choice(
        RadioField, "consultation_language", _l("Choose a language from the options listed."), optional=True
    )
    interpreter = allowed_choice(RadioField, "interpreter", _l("Choose yes or no."), optional=True)

    condition = allowed_choice(
        RadioField, "condition", _l("Choose what brings you to us from the options listed."),
        required=_l("Choose what brings you to us, or “Something else”."),
    )
    condition_other = StringField(
        filters=[strip_text, nfc],
        validators=[
            Length(
                max=CONDITION_OTHER_MAX,
                message=_l("Describe the problem in %(max)s characters or fewer here; "
                           "use the description below for more.", max=limit(CONDITION_OTHER_MAX)),
            ),
            SingleLine(_l("Keep this to one line; use the description below for more.")),
            Visible(INVISIBLE),
        ],
    )
    body_area = allowed_choice(
        SelectField, "body_area", _l("Choose the area from the list."), optional=True,
        blank=_l("Choose an area")
    )
    side = allowed_choice(RadioField, "side", _l("Choose a side from the options listed."), optional=True)
    duration = allowed_choice(
        SelectField, "duration", _l("Choose how long it has lasted from the list."), optional=True,
        blank=_l("Choose how long"),
    )
    pain_level = RadioField(
        choices=[SelectChoice(str(n)) for n in range(11)],
        validate_choice=False,
        validators=[Optional(), AllowedChoice(_l("Choose a pain level from 0 to 10."))],
    )
    description = TextAreaField(
        filters=[tidy_free_text, nfc],
        validators=[
            DataRequired(_l("Tell us a little about the problem.")),
            Visible(INVISIBLE),
            Length(
                max=DESCRIPTION_MAX,
                message=_l("Keep the description to %(max)s characters or fewer.", max=limit(DESCRIPTION_MAX)),
            ),
        ],
    )
    had_dry_needling = allowed_choice(
        RadioField, "had_dry_needling", _l("Choose yes, no or not sure."), optional=True
    )

    screening = allowed_choice(
        SelectMultipleField, "screening", _l("Choose only from the safety questions listed."),
        required=_l("Tick any that apply to you, or “None of these apply to me”."),
    )

    preferred_days = allowed_choice(SelectMultipleField, "preferred_days", _l("Choose days from the ones listed."))
    preferred_times = allowed_choice(
        SelectMultipleField, "preferred_times", _l("Choose times of day from the ones listed.")
    )

    # The consultation time: a radio per free time (value: its ISO 8601 start with offset), or "none".
    # Its choices are the week on screen, set by the view; any offered-looking value is checked again
    # against the database when stored, so a stale page cannot book a time that is gone.
    slot = RadioField(choices=[], validate_choice=False)
    practitioner = SelectField(choices=[], validate_choice=False)
    waitlist = BooleanField()

    consent_contact = BooleanField(
        validators=[DataRequired(_l("Tick the box to let us contact you about this request."))]
    )
    consent_privacy = BooleanField(
        validators=[DataRequired(_l("Tick the box to confirm you have read the privacy notice."))]
    )

    # Hidden from people and screen readers; only bots fill it in.
    leave_blank = StringField()
    submission_token = HiddenField()

    def validate_condition_other(self, field):
        if self.condition.data == "other" and not field.data:
            raise ValidationError(gettext("Tell us in a few words what the problem is."))

    def validate_screening(self, field):
        if "none" in field.data and len(field.data) > 1:
            raise ValidationError(
                gettext("You ticked “None of these apply to me” and another answer: untick one of them.")
            )

    times_offered = False  # set by the view when the clinic has bookable times to show

    def validate_slot(self, field):
        if not self.times_offered:
            field.data = None  # no picker on the page: the request goes in as before
            return
        if not field.data:
            raise ValidationError(gettext("Choose a time, or “%(none)s”.", none=gettext(NO_TIME_SUITS)))
        if field.data != NO_TIME and self.chosen_start() is None:
            raise ValidationError(gettext("Choose one of the times listed."))

    def validate_practitioner(self, field):
        if field.data and row_id(field.data) is None:
            raise ValidationError(gettext("Choose a practitioner from the list."))

    def chosen_start(self) -> datetime | None:
        """The picked start as aware UTC, or None for "none of these" or anything that is not a time we write."""
        if not self.slot.data or self.slot.data == NO_TIME:
            return None
        try:
            return parse_slot_value(self.slot.data, clinic_zone())
        except ValueError:
            return None

    def chosen_practitioner(self) -> int | None:
        return row_id(self.practitioner.data)

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the one that spans two fields (Optional() would skip it on phone)."""
        valid = super().validate(extra_validators)
        if "csrf_token" in self:  # not there when WTF_CSRF_ENABLED is off
            self.csrf_token.errors = [gettext(message) if message in CSRF_MESSAGES else message
                                      for message in self.csrf_token.errors]
        if self.contact_method.data == "phone" and not self.phone.data and not self.phone.errors:
            self.phone.errors = [*self.phone.errors,
                                 gettext("Enter a phone number, or choose email as the way to contact you.")]
            valid = False
        return valid

    def ensure_submission_token(self) -> None:
        """Every rendered form carries a token that makes a second press of Send harmless."""
        if not SUBMISSION_TOKEN.match(self.submission_token.data or ""):
            self.submission_token.data = new_submission_token()

    def expired(self) -> bool:
        """The only thing wrong is the CSRF token: an old tab or a session that timed out."""
        return bool(self.csrf_token.errors)
