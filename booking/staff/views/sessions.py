"""Where a staff member sees the browsers they are signed in on, and signs any of them out."""

from flask import current_app, flash, g, redirect, render_template, session, url_for
from flask_login import current_user

from booking.extensions import db
from booking.staff.guard import bp
from booking.staff.operations.sessions import active_sessions, end_one_session


@bp.get("/sessions")
def sessions():
    idle_hours = round(current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() / 3600, 1)
    return render_template("staff/sessions.html", sessions=active_sessions(current_user.id),
                           this_session=g.staff_session, idle_hours=f"{idle_hours:g}")


@bp.post("/sessions/<int:session_id>/end")
def end_session(session_id: int):
    ending_this_one = session_id == g.staff_session.id
    ended = end_one_session(current_user.id, session_id)
    db.session.commit()
    if ended:
        if ending_this_one:
            session.clear()
            flash("You have logged out.")
            return redirect(url_for("staff.login"), 303)
        flash("That session has ended: the browser is signed out.")
    return redirect(url_for("staff.sessions"), 303)
