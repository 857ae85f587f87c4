"""Moved to tests/fixtures/postgres.py; kept so tests written before the move still import."""

from tests.fixtures.postgres import PostgresServer  # noqa: F401
