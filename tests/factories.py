"""Rows written straight to the database, for tests that need something to work on, not the form itself.

Each factory needs an app context, commits, and returns the new row; keyword arguments set its columns.
"""

import secrets
from functools import cache

import pyotp

from booking.extensions import db
from booking.intake.service import new_reference
from booking.models import ConsultationRequest, Notification, StaffUser, utcnow
from booking.staff.two_step import encrypt_secret

PASSWORD = "a long enough passphrase"
# The two emails the intake owes for every request, as it stores them.
REQUEST_NOTIFICATION_KINDS = ("clinic_new_request", "patient_acknowledgement")


def make_request(*, notifications: bool = True, **overrides) -> ConsultationRequest:
    """A request as the intake stores Maria's valid answers, with its two emails owed unless told not to."""
    columns = {
        "reference": new_reference(),
        "submission_token": secrets.token_urlsafe(24),
        "name": "Maria Lopez",
        "email": "maria@example.org",
        "phone": "(541) 555-0123",
        "phone_e164": "+15415550123",
        "contact_method": "phone",
        "condition": "plantar_fasciitis",
        "body_area": "ankle_foot",
        "side": "left",
        "duration": "3_to_12_months",
        "pain_level": 7,
        "description": "Sharp heel pain with the first steps every morning.",
        "had_dry_needling": "no",
        "screening_flags": ["blood_thinners", "needle_fear"],
        "preferred_days": ["tue", "thu"],
        "preferred_times": ["morning"],
        "consent_contact": True,
        "consent_privacy": True,
        **overrides,
    }
    consultation = ConsultationRequest(**columns)
    if "flagged" not in overrides:
        consultation.flagged = bool(consultation.raised_flags)
    db.session.add(consultation)
    if notifications:
        for kind in REQUEST_NOTIFICATION_KINDS:
            db.session.add(_notification(consultation, kind))
    db.session.commit()
    return consultation


def _notification(consultation: ConsultationRequest, kind: str, **overrides) -> Notification:
    return Notification(consultation_request=consultation, kind=kind,
                        message_id=f"<{secrets.token_hex(12)}@clinic.test>", **overrides)


def make_notification(consultation: ConsultationRequest, kind: str = "clinic_new_request",
                      **overrides) -> Notification:
    """One email owed for a request, pending and due now unless `overrides` say otherwise."""
    notification = _notification(consultation, kind, **overrides)
    db.session.add(notification)
    db.session.commit()
    return notification


@cache
def _password_hash(password: str) -> str:
    """One real scrypt hash per password per session: hashing costs a quarter second, logging in checks it."""
    staff = StaffUser()
    staff.set_password(password)
    return staff.password_hash


def make_staff(email: str = "desk@clinic.test", password: str = PASSWORD, *, is_admin: bool = False,
               two_step: bool = True, **overrides) -> StaffUser:
    """A staff account that can log in with `password` (and, unless two_step=False, an authenticator app
    already set up: tests.fixtures.staff.log_in reads its key); an administrator with is_admin=True."""
    if two_step:
        overrides = {"totp_secret": encrypt_secret(pyotp.random_base32()), "totp_confirmed_at": utcnow(),
                     **overrides}
    staff = StaffUser(email=email, is_admin=is_admin, password_hash=_password_hash(password), **overrides)
    db.session.add(staff)
    db.session.commit()
    return staff
