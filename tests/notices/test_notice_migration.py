"""The 0010_notices migration goes up, down and up again on SQLite and PostgreSQL and matches the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import bot.notices.models  # noqa: F401  (registers the notice tables)
from bot.platform.db import Base
from bot.platform.migrate import alembic_config

TABLES = {"notice_subscriptions", "notices", "notice_batches", "notice_recipients"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("pg_cluster").create_database()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_notices_migration_is_reversible_and_matches_the_models(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0010_notices")
    assert TABLES <= tables(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert [d for d in diff if any(t in str(d) for t in TABLES)] == []
    command.downgrade(cfg, "0009_monthly_reports")
    assert not TABLES & tables(empty_url)
    command.upgrade(cfg, "0010_notices")
    assert TABLES <= tables(empty_url)


def test_the_notices_migration_follows_the_monthly_reports():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_revision("0010_notices").down_revision == "0009_monthly_reports"
