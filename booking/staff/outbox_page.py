"""The outbox as staff see it: emails not yet delivered, why, and a button to try again now."""

from flask import current_app, flash, redirect, render_template, url_for

from booking.extensions import db
from booking.models import Notification, utcnow
from booking.outbox.worker import wake_outbox_worker
from booking.staff.guard import bp
from booking.staff.service import undelivered_notifications


@bp.get("/outbox")
def outbox():
    return render_template("staff/outbox.html", notifications=undelivered_notifications())


@bp.post("/outbox/<int:notification_id>/retry")
def retry_notification(notification_id: int):
    notification = db.get_or_404(Notification, notification_id)
    if notification.status != "sent":
        notification.status = "pending"
        notification.next_attempt_at = utcnow()
        db.session.commit()
        wake_outbox_worker(current_app)
        flash("Queued to send now.")
    return redirect(url_for("staff.outbox"), 303)
