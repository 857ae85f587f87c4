"""The floor: an app that does only what the issue's rules require of the form page and a submission.

`bench/run --floor` serves it beside the clinic's app, under the same gunicorn settings, and posts it the same
form. What it keeps, each with the design card's package or the library the app uses for the job:

- the CSRF check and a form of the same 25 fields with their validators (Flask-WTF, WTForms, email-validator,
  phonenumbers), every choice checked against choices.toml;
- the submission rate limit (Flask-Limiter, the same memory storage as the app);
- the double-submit guarantee: one INSERT ... ON CONFLICT (submission_token) DO NOTHING RETURNING id;
- the clinic's and the patient's emails owed in the same transaction, and one durable commit;
- the reference kept in the session for the confirmation page, and a 303 to it.

Its form page is the app's length in bytes, drawn once, with the visitor's own CSRF and submission tokens in.

What it leaves out: translations, logging, request ids, security headers, the time picker, the outbox's
Message-IDs, the staff inbox's columns and indexes. The distance between it and the app is what the app
adds; where the floor itself misses a goal, the rules and packages do, not the app.

Two switches show what the rules themselves cost (never how the clinic runs):
FLOOR_FORM=off reads the answers without WTForms (the CSRF token is still checked), and FLOOR_DURABLE=off
commits without waiting for the disk (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off).
"""

import os
import secrets
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import phonenumbers
from flask import Flask, redirect, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy import JSON, String, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import (BooleanField, EmailField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField,
                     TelField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

FORM = os.environ.get("FLOOR_FORM", "on") != "off"
DURABLE = os.environ.get("FLOOR_DURABLE", "on") != "off"
CHOICES = tomllib.loads((Path(__file__).resolve().parent.parent / "booking" / "intake" / "choices.toml").read_text())
LISTS = ("screening", "preferred_days", "preferred_times")

app = Flask(__name__)
# English only: Flask-WTF would otherwise read WTForms' message catalogue from disk on every request.
app.config.update(SECRET_KEY=os.environ["SECRET_KEY"], SQLALCHEMY_DATABASE_URI=os.environ["FLOOR_DATABASE_URL"],
                  WTF_I18N_ENABLED=False)
db = SQLAlchemy(app)
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")


class FloorRequest(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    answers: Mapped[dict] = mapped_column(JSON)


class OwedEmail(db.Model):
    __tablename__ = "email"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(32))


with app.app_context():
    @event.listens_for(db.engine, "connect")
    def _durability(connection, _record):
        cursor = connection.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={'FULL' if DURABLE else 'NORMAL'}")
        elif not DURABLE:
            cursor.execute("SET synchronous_commit = off")
        cursor.close()

    INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[db.engine.dialect.name]
    NEW_REQUEST = (INSERT(FloorRequest.__table__).on_conflict_do_nothing(index_elements=["submission_token"])
                   .returning(FloorRequest.__table__.c.id))


def offered(group, blank=False):
    return [("", "")] * blank + list(CHOICES[group].items())


def one_of(group):
    """The answer (or each of a list of answers) is one offered: a set lookup, not WTForms' walk of the choices."""
    allowed = {"", *CHOICES[group]}

    def check(form, field):
        if any(value not in allowed for value in (field.data if isinstance(field.data, list) else [field.data])):
            raise ValidationError("Choose from the options listed.")
    return check


def choice(field_class, group, *validators, blank=False):
    return field_class(choices=offered(group, blank), validate_choice=False, validators=[*validators, one_of(group)])


def phone_number(form, field):
    try:
        if not phonenumbers.is_possible_number(phonenumbers.parse(field.data, "US")):
            raise ValidationError("Enter a phone number we can call.")
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a phone number we can call.") from None


class ConsultationForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=120)])
    email = EmailField(validators=[DataRequired(), Length(max=254), Email()])
    phone = TelField(validators=[Optional(), Length(max=40), phone_number])
    contact_method = choice(RadioField, "contact_method", InputRequired())
    consultation_language = choice(RadioField, "consultation_language", Optional())
    interpreter = choice(RadioField, "interpreter", Optional())
    condition = choice(RadioField, "condition", InputRequired())
    condition_other = StringField(validators=[Length(max=200)])
    body_area = choice(SelectField, "body_area", Optional(), blank=True)
    side = choice(RadioField, "side", Optional())
    duration = choice(SelectField, "duration", Optional(), blank=True)
    pain_level = RadioField(choices=[(str(n), str(n)) for n in range(11)], validators=[Optional()])
    description = TextAreaField(validators=[DataRequired(), Length(max=2000)])
    had_dry_needling = choice(RadioField, "had_dry_needling", Optional())
    screening = choice(SelectMultipleField, "screening", DataRequired())
    preferred_days = choice(SelectMultipleField, "preferred_days")
    preferred_times = choice(SelectMultipleField, "preferred_times")
    slot = RadioField(choices=[], validate_choice=False)
    practitioner = SelectField(choices=[], validate_choice=False)
    waitlist = BooleanField()
    consent_contact = BooleanField(validators=[DataRequired()])
    consent_privacy = BooleanField(validators=[DataRequired()])
    leave_blank = StringField()
    submission_token = HiddenField()


def create_tables():
    with app.app_context():
        db.create_all()


# The form page's floor: a page as long as the app's (bench/run passes its length), drawn once, with this
# visitor's CSRF token (so a session cookie) and a submission token put in.
PAGE = "<!doctype html><title>Ask for a consultation</title><p>" + "x" * int(os.environ.get("FLOOR_PAGE_BYTES", 0))


@app.get("/consultation")
def form_page():
    return (f'{PAGE}<form method="post" action="/consultation">'
            f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">'
            f'<input type="hidden" name="submission_token" value="{secrets.token_urlsafe(24)}"></form>',
            200, {"Cache-Control": "no-store"})


def _answers() -> tuple[dict, str] | None:
    if FORM:
        form = ConsultationForm()
        if not form.validate():
            return None
        return {key: value for key, value in form.data.items() if key not in ("csrf_token", "submission_token")}, \
            form.submission_token.data
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return None
    posted = request.form
    if not all(posted.get(key) for key in ("name", "email", "description", "consent_contact", "consent_privacy")):
        return None
    return {key: posted.getlist(key) if key in LISTS else posted[key] for key in posted
            if key not in ("csrf_token", "submission_token")}, posted.get("submission_token", "")


@app.post("/consultation")
@limiter.limit("1000000 per minute")  # checked on every post, as the app's; as high as bench/run sets the app's
def send():
    answered = _answers()
    if answered is None:
        return "Check the answers.", 422
    answers, token = answered
    reference = secrets.token_hex(5)
    new_id = db.session.execute(NEW_REQUEST, {"reference": reference, "submission_token": token, "answers": answers,
                                              "created_at": datetime.now(timezone.utc).replace(tzinfo=None)}
                                ).scalar_one_or_none()
    if new_id is not None:
        db.session.execute(insert(OwedEmail.__table__),
                           [{"request_id": new_id, "kind": "clinic"}, {"request_id": new_id, "kind": "patient"}])
    db.session.commit()
    session["sent_reference"] = reference
    return redirect("/consultation/sent", 303)
