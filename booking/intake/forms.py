"""The consultation form: every answer allow-listed, length-limited and explained when wrong."""

import re
import secrets

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
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from booking.intake.choices import choices

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
TEXT_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SUBMISSION_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
DESCRIPTION_MAX = 2000


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
        offered = {choice.value for choice in field.choices}
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in offered for value in values):
            raise ValidationError(self.message)


class ConsultationForm(FlaskForm):
    """What a prospective patient tells us; wording of labels and hints lives in the template."""

    name = StringField(
        filters=[strip_text],
        validators=[
            DataRequired("Enter your name."),
            Length(max=120, message="Your name must be 120 characters or fewer."),
            SingleLine("Your name cannot contain line breaks or control characters."),
        ],
    )
    email = EmailField(
        filters=[strip_text],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="Your email address must be 254 characters or fewer."),
            SingleLine("Enter an email address in the correct format, like name@example.com."),
            Email("Enter an email address in the correct format, like name@example.com."),
        ],
    )
    phone = TelField(
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=40, message="Your phone number must be 40 characters or fewer."),
            Regexp(
                r"^\+?[0-9][0-9 ().\-]{5,}[0-9]$",
                message="Enter a phone number using digits, like 555 010 0199.",
            ),
        ],
    )
    contact_method = RadioField(
        choices=choices("contact_method"),
        validate_choice=False,
        validators=[
            InputRequired("Choose how you would like us to contact you."),
            AllowedChoice("Choose how you would like us to contact you from the options listed."),
        ],
    )

    condition = RadioField(
        choices=choices("condition"),
        validate_choice=False,
        validators=[
            InputRequired("Choose what brings you to us, or “Something else”."),
            AllowedChoice("Choose what brings you to us from the options listed."),
        ],
    )
    condition_other = StringField(
        filters=[strip_text],
        validators=[
            Length(max=120, message="Describe the problem in 120 characters or fewer here; use the description below for more."),
            SingleLine("Keep this to one line; use the description below for more."),
        ],
    )
    body_area = SelectField(
        choices=[SelectChoice("", "Choose an area"), *choices("body_area")],
        validate_choice=False,
        validators=[Optional(), AllowedChoice("Choose the area from the list.")],
    )
    side = RadioField(
        choices=choices("side"),
        validate_choice=False,
        validators=[Optional(), AllowedChoice("Choose a side from the options listed.")],
    )
    duration = SelectField(
        choices=[SelectChoice("", "Choose how long"), *choices("duration")],
        validate_choice=False,
        validators=[Optional(), AllowedChoice("Choose how long it has lasted from the list.")],
    )
    pain_level = RadioField(
        choices=[SelectChoice(str(n)) for n in range(11)],
        validate_choice=False,
        validators=[Optional(), AllowedChoice("Choose a pain level from 0 to 10.")],
    )
    description = TextAreaField(
        filters=[tidy_free_text],
        validators=[
            DataRequired("Tell us a little about the problem."),
            Length(
                max=DESCRIPTION_MAX,
                message=f"Keep the description to {DESCRIPTION_MAX:,} characters or fewer.",
            ),
        ],
    )
    had_dry_needling = RadioField(
        choices=choices("had_dry_needling"),
        validate_choice=False,
        validators=[Optional(), AllowedChoice("Choose yes, no or not sure.")],
    )

    screening = SelectMultipleField(
        choices=choices("screening"),
        validate_choice=False,
        validators=[
            DataRequired("Tick any that apply to you, or “None of these apply to me”."),
            AllowedChoice("Choose only from the safety questions listed."),
        ],
    )

    preferred_days = SelectMultipleField(
        choices=choices("preferred_days"),
        validate_choice=False,
        validators=[AllowedChoice("Choose days from the ones listed.")],
    )
    preferred_times = SelectMultipleField(
        choices=choices("preferred_times"),
        validate_choice=False,
        validators=[AllowedChoice("Choose times of day from the ones listed.")],
    )

    consent_contact = BooleanField(
        validators=[DataRequired("Tick the box to let us contact you about this request.")]
    )
    consent_privacy = BooleanField(
        validators=[DataRequired("Tick the box to confirm you have read the privacy notice.")]
    )

    # Hidden from people and screen readers; only bots fill it in.
    leave_blank = StringField()
    submission_token = HiddenField()

    def validate_condition_other(self, field):
        if self.condition.data == "other" and not field.data:
            raise ValidationError("Tell us in a few words what the problem is.")

    def validate_screening(self, field):
        if "none" in field.data and len(field.data) > 1:
            raise ValidationError(
                "You ticked “None of these apply to me” and another answer: untick one of them."
            )

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the one that spans two fields (Optional() would skip it on phone)."""
        valid = super().validate(extra_validators)
        if self.contact_method.data == "phone" and not self.phone.data and not self.phone.errors:
            self.phone.errors = [*self.phone.errors, "Enter a phone number, or choose email as the way to contact you."]
            valid = False
        return valid

    def ensure_submission_token(self) -> None:
        """Every rendered form carries a token that makes a second press of Send harmless."""
        if not SUBMISSION_TOKEN.match(self.submission_token.data or ""):
            self.submission_token.data = new_submission_token()

    def expired(self) -> bool:
        """The only thing wrong is the CSRF token: an old tab or a session that timed out."""
        return bool(self.csrf_token.errors)
