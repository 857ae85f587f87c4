"""The one-time set-up link from an invitation or a two-step reset: the owner chooses their password and
turns on two-step sign-in, with no one signed in. GET shows; only the POST spends the link."""

from flask import abort, make_response, redirect, render_template, url_for

from booking.extensions import db
from booking.staff.forms import AccountSetUpForm
from booking.staff.guard import bp
from booking.staff.operations.invitations import finish_setup, setup_key, staff_for_link
from booking.staff.operations.two_step import key_in_groups, qr_svg

LINK_GONE = "This set-up link no longer works"
WRONG_CODE = ("That code does not match. Check the key was entered exactly, then enter the code your app shows "
              "now.")


def _staff_or_gone(token: str):
    staff = staff_for_link(token)
    if staff is None:
        abort(make_response(render_template("staff/setup_link_gone.html"), 404))
    return staff


@bp.route("/set-up/<token>", methods=["GET", "POST"])
def set_up_account(token: str):
    staff = _staff_or_gone(token)
    form = AccountSetUpForm()
    if form.validate_on_submit():
        codes = finish_setup(staff, token, form.password.data, form.code.data)
        if codes is not None:
            db.session.commit()
            return render_template("staff/recovery_codes.html", codes=codes, next=url_for("staff.login"))
        staff = staff_for_link(token)
        if staff is None:  # spent by another tab meanwhile
            return redirect(url_for("staff.set_up_account", token=token), 303)
        form.code.errors.append(WRONG_CODE)
    secret = setup_key(staff)
    db.session.commit()  # a key just made is kept before the page shows it, so a reload shows the same one
    return render_template("staff/account_setup.html", form=form, token=token, qr=qr_svg(staff, secret),
                           key=key_in_groups(secret), email=staff.email)
