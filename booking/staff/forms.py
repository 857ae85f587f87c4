"""Forms for staff pages. CSRFProtect checks every POST under /staff before any view runs.

The forms on /staff/availability check what is typed with the same parser the command line uses.
"""

from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import DateInput, TimeInput

from booking.appointments.hours import DAY_NAMES, HoursSpecError, TimeOffError, parse_hours, parse_time_off
from booking.appointments.operations.practitioners import PractitionerError, clean_email
from booking.clock import clinic_zone
from booking.lifecycle.workflow import TRANSITIONS
from booking.models import EMAIL_MAX, NAME_MAX
from booking.models.appointments import BIO_MAX, HOURS_SPEC_MAX, PUBLIC_TITLE_MAX
from booking.staff.operations.passwords import not_common
from booking.states import CloseReason, RequestStatus

PASSWORD_MIN = 12


class LoginForm(FlaskForm):
    email = EmailField(validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField(validators=[DataRequired("Enter your password."), Length(max=200)])
    next = HiddenField()


class SecondStepForm(FlaskForm):
    """The authenticator app's 6-digit code, or one of the recovery codes."""

    code = StringField(validators=[DataRequired("Enter the code from your authenticator app."), Length(max=40)])
    next = HiddenField()


class SetUpForm(FlaskForm):
    code = StringField(validators=[DataRequired("Enter the 6-digit code your app shows."), Length(max=40)])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(validators=[DataRequired("Enter your current password."), Length(max=200)])
    new_password = PasswordField(
        validators=[
            DataRequired("Choose a new password."),
            Length(min=PASSWORD_MIN, max=200, message=f"Use at least {PASSWORD_MIN} characters."),
            not_common,
        ]
    )
    confirm_password = PasswordField(
        validators=[EqualTo("new_password", message="The two new passwords do not match.")]
    )


class StatusForm(FlaskForm):
    status = SelectField(choices=[SelectChoice(s.value, s.title) for s in RequestStatus])
    closed_reason = SelectField(
        choices=[SelectChoice("", "Choose a reason")] + [SelectChoice(r.value, r.title) for r in CloseReason],
        validators=[Optional()],
    )
    note = TextAreaField(validators=[Length(max=2000, message="Keep the note to 2,000 characters or fewer.")])

    def offer_moves_from(self, status: RequestStatus) -> None:
        """Only the statuses the workflow allows from here are offered, and accepted."""
        self.status.choices = [SelectChoice(s.value, s.title) for s in TRANSITIONS[status]]

    def validate_closed_reason(self, field):
        if self.status.data == RequestStatus.CLOSED and not field.data:
            raise ValidationError("Choose why the request is being closed.")


class NoteForm(FlaskForm):
    note = TextAreaField(
        validators=[
            DataRequired("Write the note before saving it."),
            Length(max=2000, message="Keep the note to 2,000 characters or fewer."),
        ]
    )


class EraseForm(FlaskForm):
    confirm_reference = StringField(validators=[DataRequired("Type the reference to confirm.")])


class NewStaffForm(FlaskForm):
    """Only the address: the person chooses their own password from the link they are emailed."""

    email = EmailField(
        validators=[
            DataRequired("Enter the new staff member's email address."),
            Length(max=254),
            Email("Enter an email address in the correct format."),
        ]
    )
    is_admin = BooleanField()


class AccountSetUpForm(FlaskForm):
    """From a one-time link: the owner's own password, and the first code from their authenticator app."""

    password = PasswordField(
        validators=[
            DataRequired("Choose a password."),
            Length(min=PASSWORD_MIN, max=200, message=f"Use at least {PASSWORD_MIN} characters."),
            not_common,
        ]
    )
    confirm_password = PasswordField(validators=[EqualTo("password", message="The two passwords do not match.")])
    code = StringField(validators=[DataRequired("Enter the 6-digit code your app shows."), Length(max=40)])


# /staff/availability

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
    """The weekly hours rows (read by posted_rows); the form itself only carries the CSRF token."""


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


class ProfileForm(FlaskForm):
    """What patients read about a practitioner: a title and credentials, and a short bio; both optional."""

    public_title = StringField(validators=[Length(max=PUBLIC_TITLE_MAX)])
    bio = TextAreaField(validators=[Length(max=BIO_MAX)])


class TimeOffForm(FlaskForm):
    """A day to pick (and, for part of a day, a time): the text the parser reads is "YYYY-MM-DD[ HH:MM]"."""

    starts = StringField(validators=[Length(max=40)], widget=DateInput())
    starts_time = StringField(validators=[Length(max=5)], widget=TimeInput())
    ends = StringField(validators=[Length(max=40)], widget=DateInput())
    ends_time = StringField(validators=[Length(max=5)], widget=TimeInput())

    def starts_text(self) -> str:
        return _day_and_time(self.starts.data, self.starts_time.data)

    def ends_text(self) -> str | None:
        return _day_and_time(self.ends.data, self.ends_time.data) or None

    def validate(self, extra_validators=None) -> bool:
        """FROM and TO are read together; the error goes on the one the message names."""
        if not super().validate(extra_validators):
            return False
        if not (self.starts.data or "").strip():
            self.starts.errors.append("Enter the day the time off starts.")
            return False
        if (self.ends_time.data or "").strip() and not (self.ends.data or "").strip():
            self.ends.errors.append("Enter the day the time off ends, or leave its time empty.")
            return False
        try:
            parse_time_off(self.starts_text(), self.ends_text(), clinic_zone())
        except TimeOffError as error:
            message = str(error)
            field = self.ends if message.startswith(("TO ", "the time off ends")) else self.starts
            field.errors.append(sentence(message))
            return False
        return True


def _day_and_time(day: str | None, clock: str | None) -> str:
    day, clock = (day or "").strip(), (clock or "").strip()
    return f"{day} {clock}" if day and clock else day


# Weekly hours on the page: a row per day, each with from/to pairs of <input type="time">. They are written
# into the same text the command line takes and read by the same parser, so both refuse the same things.
DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RANGES_MAX = 6


@dataclass
class DayOfHours:
    day: str  # "mon"
    name: str  # "Monday"
    ranges: list[tuple[str, str]] = field(default_factory=list)  # ("09:00", "12:00"), as typed


def rows_of(spec: str) -> list[DayOfHours]:
    """The stored hours as rows; a day not worked gets one empty pair to fill in."""
    try:
        hours = parse_hours(spec) if spec else None
    except HoursSpecError:
        hours = None
    rows = []
    for weekday, (day, name) in enumerate(zip(DAY_NAMES, DAY_WORDS)):
        ranges = [(start.strftime("%H:%M"), end.strftime("%H:%M")) for start, end in hours.ranges_on(weekday)] \
            if hours is not None else []
        rows.append(DayOfHours(day, name, ranges or [("", "")]))
    return rows


def posted_rows(form: MultiDict, prefix: str) -> list[DayOfHours]:
    """The rows as sent: <prefix>-<day>-from and -to, repeated once per range, in order."""
    rows = []
    for day, name in zip(DAY_NAMES, DAY_WORDS):
        starts = form.getlist(f"{prefix}-{day}-from")[:RANGES_MAX]
        ends = form.getlist(f"{prefix}-{day}-to")[:RANGES_MAX]
        pairs = [(start.strip()[:5], end.strip()[:5]) for start, end in zip(starts, ends)]
        rows.append(DayOfHours(day, name, pairs or [("", "")]))
    return rows


def spec_of(rows: list[DayOfHours]) -> str:
    """The rows as the command line's text, checked by its parser; HoursSpecError says what to mend."""
    groups = []
    for row in rows:
        filled = []
        for start, end in row.ranges:
            if bool(start) != bool(end):
                raise HoursSpecError(f"{row.name}: give both a start and an end, or clear both")
            if start:
                filled.append(f"{start}-{end}")
        if filled:
            groups.append(f"{row.day} {','.join(filled)}")
    spec = "; ".join(groups)
    if not spec:
        raise HoursSpecError("No hours are given: fill in at least one day, or deactivate the practitioner")
    parse_hours(spec)
    return spec
