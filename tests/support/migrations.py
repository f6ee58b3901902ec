"""For migration tests: an empty database on each backend, and a table's column names.

Use `empty_url` (parametrised: a SQLite file, then a database in the throwaway PostgreSQL cluster) with
`from tests.support.migrations import empty_url  # noqa: F401`; migrate it with `alembic_config(empty_url)`.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from tests.support.postgres import pg_cluster  # noqa: F401 (fixture for the PostgreSQL variant)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """An empty database: a SQLite file, or a fresh database in the session's PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("pg_cluster").create_database()


def columns(url: str, table: str) -> set[str]:
    """The names of a table's columns as the database has them now."""
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()
