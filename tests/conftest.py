"""Shared fixtures and helpers. The fixtures themselves live in tests/fixtures/, loaded as plugins:

- tests.fixtures.smtp      smtp: a real SMTP server on loopback for this test
- tests.fixtures.postgres  postgres (session), postgres_url, empty_postgres_url
- tests.fixtures.redis     redis_server (session), redis_url: a real redis-server for shared rate limits
- tests.fixtures.app       make_app(**config), app, client (a FormClient), runner
- tests.fixtures.staff     staff, desk, boss, reference; log_in(client, email, ...)
- tests.fixtures.browser   chromium (session): one real Chromium; test_browser.py's `browser` hands it out
- tests.fixtures.servers   operator_env; flask(env, ...), gunicorn(env, ...), start_mail_worker, wait_for:
                           operator commands and servers as real processes

Rows to work on come from tests/factories.py (make_request, make_staff, make_notification).
"""

import inspect
import re
import sys

import pytest

# Imported below before pytest loads them as plugins; rewrite their asserts so failures explain themselves.
pytest.register_assert_rewrite("tests.client", "tests.factories", "tests.fixtures")

from tests.client import hidden_fields  # noqa: E402
from tests.fixtures.app import make_app  # noqa: E402, F401  (make_app(tmp_path, **config), for older callers)
from tests.fixtures.smtp import SmtpServer, free_port  # noqa: E402, F401  (imported by benchmarks and tests)

pytest_plugins = ["tests.fixtures.smtp", "tests.fixtures.postgres", "tests.fixtures.redis", "tests.fixtures.app",
                  "tests.fixtures.staff", "tests.fixtures.browser", "tests.fixtures.servers"]


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


# `make check` runs `-m "not slow"`. A test is slow when it starts another process (a browser, PostgreSQL,
# redis, gunicorn, a flask command, wrk): through one of these fixtures, or by code in its module that runs
# subprocess. Found from the code at collection, so a new test is marked without anyone remembering to.
SLOW_FIXTURES = {"browser", "chromium", "live_app", "live_server", "postgres", "postgres_template", "postgres_url",
                 "empty_postgres_url", "redis_server", "redis_url", "operator_env"}
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


_facts: dict = {}


def _code_facts(function, module) -> tuple[bool, list]:
    """Whether this function's own source uses subprocess, and the functions of the tests it calls by name.

    Read once per function: many tests share the same fixtures and helpers."""
    if function not in _facts:
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            source = ""
        # In the source's order, not a set's: a set's order differs between processes, and every xdist worker
        # must mark the same tests slow.
        called = [getattr(module, name, None) for name in dict.fromkeys(_CALLED.findall(source))]
        _facts[function] = ("subprocess." in source or "Popen(" in source,
                            [f for f in called if inspect.isfunction(f) and f.__module__.startswith("tests")])
    return _facts[function]


def _runs_a_process(function, module, seen: set) -> bool:
    """Does this function, or a function of the tests it calls (at any depth), use subprocess?

    Followed: what its module defines or imports from tests/ (tests/fixtures/servers.py's helpers)."""
    if function in seen:
        return False
    seen.add(function)
    runs, called = _code_facts(function, module)
    return runs or any(_runs_a_process(f, sys.modules[f.__module__], seen) for f in called)


def _asks_for_postgres(item) -> bool:
    """A test parametrized over databases that fetches PostgreSQL's fixture only for its postgresql case."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(value in ("postgres", "postgresql") for value in callspec.params.values())


def _is_slow(item) -> bool:
    if SLOW_FIXTURES & set(item.fixturenames) or _asks_for_postgres(item):
        return True
    seen: set = set()
    if _runs_a_process(item.function, item.module, seen):
        return True
    for name in item.fixturenames:
        for definition in item._fixtureinfo.name2fixturedefs.get(name, ()):
            module = inspect.getmodule(definition.func)
            if module is not None and module.__name__.startswith("tests") and \
                    _runs_a_process(definition.func, module, seen):
                return True
    return False


# `make test` runs each file whole on one of its workers (--dist loadfile), in the order collected
# (--no-loadscope-reorder; xdist would otherwise send files with the most tests first, and the long ones, which
# have few tests, last). The longest files first, then the other slow ones, then the quick ones: the many short
# files fill the end, so no core sits idle while a long file that started last runs alone. A file missing here
# only runs later; the order changes nothing else.
LONGEST_FIRST = ("test_bench_tools.py", "test_bench_run_postgres.py", "test_mail_worker.py",
                 "test_browser_booking.py", "test_booking_race.py", "test_wheel.py", "test_multi_server_proof.py",
                 "test_practitioners.py", "test_browser.py", "test_consent_browser.py", "test_operations.py",
                 "test_shared_rate_limits.py", "test_bench_profile.py")


def _run_order(item) -> tuple[int, int]:
    name = item.path.name
    if name in LONGEST_FIRST:
        return 0, LONGEST_FIRST.index(name)
    return (1 if item.get_closest_marker("slow") else 2), 0


def pytest_collection_modifyitems(config, items):
    for item in items:
        if isinstance(item, pytest.Function) and item.get_closest_marker("slow") is None and _is_slow(item):
            item.add_marker(pytest.mark.slow)
    files: dict = {}
    for item in items:  # a file's place is that of its slowest kind of test; its own order is kept
        files[item.path] = min(files.get(item.path, (3, 0)), _run_order(item))
    items.sort(key=lambda item: files[item.path])
