"""Migration 0008_faq_registers on a database an older release seeded: `madoguchi db upgrade` adds the registers
and review dates to entries staff never edited, keeps staff edits, matches the models and downgrades cleanly."""

from __future__ import annotations

import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import bot.platform.models  # noqa: F401 (every model in Base.metadata)
import knowledge.models  # noqa: F401
from bot.platform.db import Base, make_engine, make_session_factory
from bot.platform.migrate import alembic_config
from bot.tools.demo import prepare_database
from knowledge.entries import load_content
from knowledge.models import FaqEntry
from knowledge.store import row_to_entry
from tests.support.postgres import pg_cluster  # noqa: F401 (fixture for the PostgreSQL variant)

NEW = {"question_en", "answer_easy", "answer_en", "review_by"}
OLD_HEADS = ("0002_booking", "0004_handoff", "0005_outbox_retries", "0007_admin_session_version")
UNTOUCHED, EDITED = "founding.npo_min_members", "founding.npo_steps"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("pg_cluster").create_database()


def columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("faq_entries")}
    finally:
        engine.dispose()


def seed_like_an_older_release(url: str) -> None:
    """Two entries as the previous release stored them: one only ever seeded, one edited by staff."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for faq_id, author in ((UNTOUCHED, "seed"), (EDITED, "staff@example.org")):
            conn.execute(
                text(
                    "INSERT INTO faq_entries (id, topic, question, paraphrases, answer, source, follow_up, status, "
                    "version, updated_at) VALUES (:id, 'founding', '古い質問', '[]', :answer, '古い出典', '{}', "
                    "'published', 1, CURRENT_TIMESTAMP)"
                ),
                {"id": faq_id, "answer": f"{author}の回答"},
            )
            conn.execute(
                text(
                    "INSERT INTO faq_revisions (faq_id, version, snapshot, author, created_at) "
                    "VALUES (:id, 1, :snapshot, :author, CURRENT_TIMESTAMP)"
                ),
                {"id": faq_id, "snapshot": json.dumps({"answer": f"{author}の回答"}), "author": author},
            )
    engine.dispose()


def test_the_migration_history_has_one_head():
    assert len(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()) == 1


def test_db_upgrade_brings_the_registers_to_an_existing_database(empty_url):
    cfg = alembic_config(empty_url)
    for head in OLD_HEADS:
        command.upgrade(cfg, head)
    seed_like_an_older_release(empty_url)
    assert not NEW & columns(empty_url)

    prepare_database(empty_url)  # what `madoguchi db upgrade` runs
    assert NEW <= columns(empty_url)
    shipped = {e.id: e for e in load_content()}[UNTOUCHED]
    engine = make_engine(empty_url)
    with make_session_factory(engine)() as session:
        untouched = row_to_entry(session.get(FaqEntry, UNTOUCHED))
        assert (untouched.answer_en, untouched.answer_easy, untouched.review_by) == (
            shipped.answer_en,
            shipped.answer_easy,
            shipped.review_by,
        )
        edited = row_to_entry(session.get(FaqEntry, EDITED))
        assert edited.answer == "staff@example.orgの回答" and edited.answer_en == "" and edited.review_by is None
        assert edited.answer_for("en") == edited.answer  # served in Japanese (with a note) until staff translate
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "faq_entries" in str(d)] == []
    engine.dispose()

    command.downgrade(cfg, "0005_outbox_retries")
    assert not NEW & columns(empty_url)
    command.upgrade(cfg, "heads")
    assert NEW <= columns(empty_url)
