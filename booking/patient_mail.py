"""An email to the patient who sent a request, in the language they wrote in.

Every patient email is built here (the acknowledgement, the appointment emails, the waitlist offer), so
each is in the patient's language and carries the request's reference in its subject. What goes in it is
the caller's context, never the request's health answers: none of these templates is given them.
"""

from flask import current_app, render_template
from flask_babel import gettext
from flask_mail import Message

from booking.i18n import in_language
from booking.models import ConsultationRequest


def patient_message(consultation: ConsultationRequest, template: str, subject: str, **context) -> Message:
    """email/<template>.txt and .html with the patient's name and reference besides `context`.

    `subject` is marked for translation where it is written (N_) and translated here, in the patient's
    language; the reference and the clinic's name follow it.
    """
    with in_language(consultation.language):
        context = {"name": consultation.name, "reference": consultation.reference, **context}
        return Message(
            subject=f"{gettext(subject)} [{consultation.reference}] - {current_app.config['CLINIC_NAME']}",
            recipients=[consultation.email],
            body=render_template(f"email/{template}.txt", **context),
            html=render_template(f"email/{template}.html", **context),
        )
