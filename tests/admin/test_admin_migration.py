"""Migration 0003_admin: creates and drops only the admin tables, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.platform.db import make_engine
from bot.platform.migrate import upgrade
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401  (fixtures for the PostgreSQL variant)

TABLES = {"admin_users", "audit_log"}


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    from bot.platform.migrate import alembic_config

    command.downgrade(alembic_config(url), revision)


def check_round_trip(url: str) -> None:
    assert TABLES <= tables(url)
    before = tables(url) - TABLES
    downgrade(url, "0003_admin@0001")  # also takes back later revisions that build on it (e.g. monthly reports)
    assert TABLES.isdisjoint(tables(url)) and tables(url) <= before
    upgrade(url)
    assert TABLES <= tables(url)


def test_the_admin_tables_come_and_go_on_sqlite(db_url):
    check_round_trip(db_url)


def test_the_admin_tables_come_and_go_on_postgresql(pg_url):  # noqa: F811
    check_round_trip(pg_url)
