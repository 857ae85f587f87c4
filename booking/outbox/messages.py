"""One small function per email, each rendering a .txt and an .html template."""

from flask import current_app, render_template
from flask_mail import Message

from booking.intake.choices import label
from booking.models import ConsultationRequest, Notification
from booking.outbox.queue import CLINIC_NEW_REQUEST, PATIENT_ACKNOWLEDGEMENT


def notify_clinic(consultation: ConsultationRequest) -> Message:
    """The clinic's copy: every answer, screening flags first; Reply-To goes to the patient."""
    condition = label("condition", consultation.condition)
    if consultation.condition == "other":
        condition = "Something else"
    subject = f"Dry needling consultation request: {condition} [{consultation.reference}]"
    context = {"req": consultation, "label": label}
    return Message(
        subject=subject,
        recipients=list(current_app.config["CLINIC_EMAIL"]),
        reply_to=consultation.email,
        body=render_template("email/clinic_new_request.txt", **context),
        html=render_template("email/clinic_new_request.html", **context),
    )


def acknowledge_patient(consultation: ConsultationRequest) -> Message:
    """The patient's receipt: reference, next steps and phone, and no health details at all."""
    clinic_name = current_app.config["CLINIC_NAME"]
    context = {"reference": consultation.reference, "name": consultation.name}
    return Message(
        subject=f"We received your consultation request [{consultation.reference}] - {clinic_name}",
        recipients=[consultation.email],
        body=render_template("email/patient_acknowledgement.txt", **context),
        html=render_template("email/patient_acknowledgement.html", **context),
    )


BUILDERS = {
    CLINIC_NEW_REQUEST: notify_clinic,
    PATIENT_ACKNOWLEDGEMENT: acknowledge_patient,
}


def build_message(notification: Notification) -> Message:
    """The email for an outbox row, rendered now from the stored request, with its fixed Message-ID."""
    message = BUILDERS[notification.kind](notification.consultation_request)
    message.msgId = notification.message_id
    return message
