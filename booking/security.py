"""Response headers that keep the pages from being framed, sniffed or fed foreign script.

Added as each response leaves the app (WSGI), after Flask has built it, to every response it gives: pages,
redirects, error pages, and the pages answered from memory. Set on Flask's response object in an
after_request hook, they made every header edit after them slower (docs/performance.md, "fifth session").
"""

from collections.abc import Callable, Iterable

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
POLICY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
HSTS_HEADER = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# A page whose address is a secret (a patient's manage link) sets a stricter policy itself; it is kept.
DEFAULT_REFERRER_POLICY = ("Referrer-Policy", "same-origin")


class SecurityHeaders:
    """WSGI middleware: the policy headers replace any a view set; Referrer-Policy only where none was set."""

    def __init__(self, app: Callable, hsts: bool):
        self.app = app
        self.policy = [*POLICY_HEADERS, *([HSTS_HEADER] if hsts else [])]
        self.policy_names = frozenset(name.lower() for name, _ in self.policy)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def with_policy(status: str, headers: list[tuple[str, str]], exc_info=None):
            names = {name.lower() for name, _ in headers}
            if names & self.policy_names:
                headers = [(name, value) for name, value in headers if name.lower() not in self.policy_names]
            headers = [*headers, *self.policy]
            if "referrer-policy" not in names:
                headers.append(DEFAULT_REFERRER_POLICY)
            return start_response(status, headers, exc_info)

        return self.app(environ, with_policy)
