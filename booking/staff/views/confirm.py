"""Destructive staff actions ask once more: a box ticked beside the red button, checked here too.

The box is `required`, so a browser will not send the form without it, with or without JavaScript;
the server checks again, since a form can be sent by other means.
"""

from flask import request

NOT_CONFIRMED = "Nothing was changed: tick the box to confirm, then press the button again."


def confirmed() -> bool:
    return request.form.get("confirm") == "yes"
