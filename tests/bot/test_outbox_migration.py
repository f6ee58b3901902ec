"""Migration 0005_outbox_retries: adds the lease, backoff and reply columns, frees items the old code left
"sending", matches the models and downgrades cleanly, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import bot.platform.models  # noqa: F401 (the models in Base.metadata)
from bot.platform.db import Base
from bot.platform.migrate import alembic_config
from tests.support.postgres import pg_cluster  # noqa: F401 (fixture for the PostgreSQL variant)

NEW = {"claimed_until", "next_attempt_at", "reply_unsettled"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("pg_cluster").create_database()


def columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("outbox")}
    finally:
        engine.dispose()


def test_the_outbox_migration(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0001")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO line_users (id, line_user_id, language, created_at) "
                "VALUES (1, 'U1', 'ja', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO outbox (user_id, line_user_id, messages, retry_key, status, attempts, created_at) "
                "VALUES (1, 'U1', '[]', 'k1', 'sending', 1, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(cfg, "0005_outbox_retries")
    assert NEW <= columns(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status, reply_unsettled FROM outbox")).one() == ("pending", 0)
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "outbox" in str(d)] == []
    engine.dispose()
    command.downgrade(cfg, "0005_outbox_retries@0001")
    assert not NEW & columns(empty_url)
    command.upgrade(cfg, "heads")
    assert NEW <= columns(empty_url)
