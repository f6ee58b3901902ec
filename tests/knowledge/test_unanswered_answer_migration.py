"""Migration 0011_unanswered_answer_given: open inbox rows survive, the new columns match the models, and it
downgrades cleanly."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import bot.platform.models  # noqa: F401 (every model in Base.metadata)
import knowledge.models  # noqa: F401
from bot.platform.db import Base
from bot.platform.migrate import alembic_config
from tests.support.postgres import pg_cluster  # noqa: F401 (fixture for the PostgreSQL variant)

NEW = {"answer_faq_id", "answer_register", "rephrase"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("pg_cluster").create_database()


def columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("unanswered_questions")}
    finally:
        engine.dispose()


def test_the_answer_given_columns_come_and_go_with_the_migration(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0010_notices")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO unanswered_questions (text, reason, status, created_at) "
                "VALUES ('駐車場はありますか', 'abstained', 'open', CURRENT_TIMESTAMP)"
            )
        )
    assert not NEW & columns(empty_url)

    command.upgrade(cfg, "0011_unanswered_answer_given")
    assert NEW <= columns(empty_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT text, answer_faq_id, rephrase FROM unanswered_questions")).one()
        assert tuple(row) == ("駐車場はありますか", None, None)
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "unanswered_questions" in str(d)] == []

    command.downgrade(cfg, "0010_notices")
    assert not NEW & columns(empty_url)
    engine.dispose()
