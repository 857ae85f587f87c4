"""Our own error pages: a plain explanation, never a traceback or a server banner."""

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

ERROR_TEMPLATES = {400, 403, 404, 405, 413, 429, 500}


def render_error(error: HTTPException):
    """Render the page for this status code, or the generic one for codes we have no words for."""
    code = error.code or 500
    template = f"errors/{code}.html" if code in ERROR_TEMPLATES else "errors/generic.html"
    response = render_template(template, error=error), code
    return response


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if error.code == 405:
            page, code = render_error(error)
            return page, code, {"Allow": ", ".join(error.valid_methods or [])}
        return render_error(error)

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        """Log the fault by path only (never form data), and show the patient a way to reach us."""
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError())
