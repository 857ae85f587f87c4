"""Forms for staff pages. CSRFProtect checks every POST under /staff before any view runs."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from booking.states import CloseReason, RequestStatus
from booking.staff.passwords import not_common
from booking.lifecycle.workflow import TRANSITIONS

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
