"""Migration 0012_conversation_throttle: existing conversations get an empty throttle record, the new columns match
the models and the ORM reads and writes them, and it downgrades cleanly, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

import bot.platform.models  # noqa: F401 (every model in Base.metadata)
import knowledge.models  # noqa: F401
from bot.platform.db import Base, make_engine
from bot.platform.migrate import alembic_config
from bot.platform.models import Conversation
from tests.support.migrations import columns, empty_url  # noqa: F401 (empty_url: a fixture, on both databases)

NEW = {"throttle_times", "throttle_notice_at"}


def test_the_throttle_record_comes_and_goes_with_the_migration(empty_url):  # noqa: F811 (the fixture imported)
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0011_unanswered_answer_given")
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
                "INSERT INTO conversations (user_id, mode, slots, misunderstood_count, updated_at) "
                "VALUES (1, 'bot', '{}', 0, CURRENT_TIMESTAMP)"
            )
        )
    assert not NEW & columns(empty_url, "conversations")

    command.upgrade(cfg, "0012_conversation_throttle")
    assert NEW <= columns(empty_url, "conversations")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "conversations" in str(d)] == []
    orm = make_engine(empty_url)
    try:
        with Session(orm) as session:
            conversation = session.scalars(select(Conversation)).one()
            assert conversation.throttle_times == [] and conversation.throttle_notice_at is None
            told = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
            conversation.throttle_times, conversation.throttle_notice_at = [1764925200.5, 1764925201.25], told
            session.commit()
        with Session(orm) as session:
            conversation = session.scalars(select(Conversation)).one()
            assert conversation.throttle_times == [1764925200.5, 1764925201.25]
            assert conversation.throttle_notice_at == told
    finally:
        orm.dispose()

    command.downgrade(cfg, "0011_unanswered_answer_given")
    assert not NEW & columns(empty_url, "conversations")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT mode FROM conversations")).scalar_one() == "bot"
    engine.dispose()
