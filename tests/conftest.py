"""Shared fixtures and helpers. The fixtures themselves live in tests/fixtures/, loaded as plugins:

- tests.fixtures.smtp      smtp: a real SMTP server on loopback for this test
- tests.fixtures.postgres  postgres (session), postgres_url, empty_postgres_url
- tests.fixtures.redis     redis_server (session), redis_url: a real redis-server for shared rate limits
- tests.fixtures.app       make_app(**config), app, client (a FormClient), runner
- tests.fixtures.staff     staff, desk, boss, reference; log_in(client, email, ...)

Rows to work on come from tests/factories.py (make_request, make_staff, make_notification).
"""

import pytest

# Imported below before pytest loads them as plugins; rewrite their asserts so failures explain themselves.
pytest.register_assert_rewrite("tests.client", "tests.factories", "tests.fixtures")

from tests.client import hidden_fields  # noqa: E402
from tests.fixtures.app import make_app  # noqa: E402, F401  (make_app(tmp_path, **config), for older callers)
from tests.fixtures.smtp import SmtpServer, free_port  # noqa: E402, F401  (imported by benchmarks and tests)

pytest_plugins = ["tests.fixtures.smtp", "tests.fixtures.postgres", "tests.fixtures.redis", "tests.fixtures.app",
                  "tests.fixtures.staff"]


def open_form(client) -> dict:
    """GET the form as a browser would, returning its hidden fields."""
    return hidden_fields(client.get("/consultation").get_data(as_text=True), "/consultation")


def valid_answers(**changes) -> dict:
    answers = {
        "name": "Maria Lopez",
        "email": "maria@example.org",
        "phone": "(541) 555-0123",
        "contact_method": "phone",
        "condition": "plantar_fasciitis",
        "condition_other": "",
        "body_area": "ankle_foot",
        "side": "left",
        "duration": "3_to_12_months",
        "pain_level": "7",
        "description": "Sharp heel pain with the first steps every morning.",
        "had_dry_needling": "no",
        "screening": ["blood_thinners", "needle_fear"],
        "preferred_days": ["tue", "thu"],
        "preferred_times": ["morning"],
        "consent_contact": "y",
        "consent_privacy": "y",
    }
    answers.update(changes)
    return {key: value for key, value in answers.items() if value is not None}


@pytest.fixture
def submit(client):
    """Send the form with valid answers (and any changes), as a fresh browser tab would."""

    def _submit(**changes):
        return client.post("/consultation", data={**open_form(client), **valid_answers(**changes)})

    return _submit
