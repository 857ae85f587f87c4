"""The outbox as staff see it: emails not yet delivered, why, and a button to try again now."""

from flask import abort, flash, redirect, render_template, url_for

from booking.outbox.admin import retry_now, scheduled, undelivered
from booking.staff.guard import bp


@bp.get("/outbox")
def outbox():
    return render_template("staff/outbox.html", notifications=undelivered(), scheduled=scheduled())


@bp.post("/outbox/<int:notification_id>/retry")
def retry_notification(notification_id: int):
    try:
        queued = retry_now(notification_id)
    except LookupError:
        abort(404)
    if queued:
        flash("Queued to send now.")
    return redirect(url_for("staff.outbox"), 303)
