"""Forms on /staff/availability; each checks what is typed with the same parser the command line uses."""

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import Length, ValidationError

from booking.appointments.hours import HoursSpecError, TimeOffError, parse_hours, parse_time_off
from booking.appointments.practitioners import PractitionerError, clean_email
from booking.clock import clinic_zone
from booking.models import EMAIL_MAX, NAME_MAX
from booking.models.appointments import HOURS_SPEC_MAX

HOURS_HINT = 'Days and times on the clinic\'s clock, e.g. "mon-fri 09:00-12:00,13:00-17:00; sat 08:00-12:00".'
TIME_OFF_HINT = "YYYY-MM-DD for whole days, or YYYY-MM-DD HH:MM for part of a day, on the clinic's clock."


def sentence(message: str) -> str:
    """The parsers' messages start in lower case to follow a prefix; on a page they stand alone."""
    return message[:1].upper() + message[1:]


def _check_hours(form, field) -> None:
    try:
        parse_hours(field.data or "")
    except HoursSpecError as error:
        raise ValidationError(sentence(str(error))) from None


class HoursForm(FlaskForm):
    hours = StringField(validators=[Length(max=HOURS_SPEC_MAX), _check_hours])


class PractitionerForm(FlaskForm):
    name = StringField(validators=[Length(max=NAME_MAX)])
    email = EmailField(validators=[Length(max=EMAIL_MAX)])
    hours = StringField(validators=[Length(max=HOURS_SPEC_MAX), _check_hours])

    def validate_name(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the practitioner's name.")

    def validate_email(self, field) -> None:
        try:
            clean_email(field.data)
        except PractitionerError as error:
            raise ValidationError(sentence(str(error))) from None


class TimeOffForm(FlaskForm):
    starts = StringField(validators=[Length(max=40)])
    ends = StringField(validators=[Length(max=40)])

    def validate(self, extra_validators=None) -> bool:
        """FROM and TO are read together; the error goes on the one the message names."""
        if not super().validate(extra_validators):
            return False
        if not (self.starts.data or "").strip():
            self.starts.errors.append("Enter the day the time off starts.")
            return False
        try:
            parse_time_off(self.starts.data or "", self.ends.data or None, clinic_zone())
        except TimeOffError as error:
            message = str(error)
            field = self.ends if message.startswith(("TO ", "the time off ends")) else self.starts
            field.errors.append(sentence(message))
            return False
        return True
