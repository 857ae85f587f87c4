"""Extensions' per-request hooks, run only on the requests they can act on.

Flask-WTF and Flask-Limiter each hook every request. On most of them the hook looks around and does nothing:
Flask-WTF's CSRF check on a GET, Flask-Limiter's checks on a page that has no limit. Looking around reads
Flask's request, app and g proxies several times: together about 7 % of the form page's CPU. Each hook
here is replaced by one that first asks the single question its original would end on, and calls the
original whenever it could act, so what the extension does is unchanged (tests/test_extension_hooks.py).
"""

from flask import Flask, request
from flask.globals import request_ctx
from flask_limiter import Limiter

# Where Flask-Limiter 4 keeps a request's limit state (Limiter.context), on Flask's request context: made when
# a limit is checked.
LIMITER_STATE = "_limiter_request_context"


def register_extension_hooks(app: Flask, limiter: Limiter) -> None:
    _limit_only_where_declared(app, limiter)
    _limiter_hooks_only_after_a_limit(app, limiter)
    _csrf_check_only_on_protected_methods(app)


def _limit_only_where_declared(app: Flask, limiter: Limiter) -> None:
    """Each rate limit sits on its own view, which checks it; Flask-Limiter's check before every request
    exists for default and application-wide limits, which we do not declare, and cost every page 0.1 ms."""
    declared = limiter.limit_manager
    if declared.default_limits or declared.application_limits:
        return  # someone declared one after all: keep the check that applies it
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def _limiter_hooks_only_after_a_limit(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter's after-request hook (rate-limit headers, deductions on response) and its teardown
    (forgetting the request's state) read only the state a limit check leaves on the request; on a request
    where no limit was checked there is none, and they would make an empty one to read."""
    after = app.after_request_funcs[None]
    teardown = app.teardown_request_funcs[None]
    (inject_headers,) = [hook for hook in after if getattr(hook, "args", None) == (limiter,)]
    (release,) = [hook for hook in teardown if getattr(hook, "__self__", None) is limiter]

    def limiter_after_request(response):
        if hasattr(request_ctx, LIMITER_STATE):
            return inject_headers(response)
        return response

    def limiter_teardown_request(exc=None):
        if hasattr(request_ctx, LIMITER_STATE):
            release(exc)

    after[after.index(inject_headers)] = limiter_after_request
    teardown[teardown.index(release)] = limiter_teardown_request


def _csrf_check_only_on_protected_methods(app: Flask) -> None:
    """Flask-WTF's check before every request looks up the view's exemptions first and the method last:
    on a GET (not in WTF_CSRF_METHODS) it always ends doing nothing."""
    before = app.before_request_funcs[None]
    (csrf_protect,) = [hook for hook in before if getattr(hook, "__qualname__", "").startswith("CSRFProtect.")]

    def csrf_protect_unsafe_methods():
        if request.method in app.config["WTF_CSRF_METHODS"]:
            return csrf_protect()
        return None

    before[before.index(csrf_protect)] = csrf_protect_unsafe_methods
