"""The triage summary, the demo seed and the 0004_handoff migration (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select

import bot.handoff.models  # noqa: F401  (registers the hand-off tables)
from bot.handoff.demo import seed_demo
from bot.handoff.models import Handoff
from bot.handoff.summary import build_summary
from bot.platform.db import Base, unit_of_work, utcnow
from bot.platform.migrate import alembic_config
from bot.platform.models import Conversation, Message
from tests.handoff.factories import make_resident

TABLES = {"handoffs", "handoff_notes"}


def say(session, user_id: int, kind: str, text: str) -> None:
    session.add(Message(user_id=user_id, direction="in", kind=kind, text=text))
    session.flush()


def test_the_summary_reads_tapped_path_answers_and_typed_words(factory):
    with unit_of_work(factory) as s:
        c = make_resident(s)
        say(s, c.user_id, "postback", "a=step&f=dissolution&s=kind&v=npo")
        say(s, c.user_id, "postback", "a=step&f=dissolution&s=stage&v=considering")
        say(s, c.user_id, "text", "港北区の団体です。理事間で意見が割れている")
        say(s, c.user_id, "text", "相談員と話したい")
        summary = build_summary(s, c.user_id, utcnow())
    assert summary["intent"] == "dissolution"
    assert summary["slots"]["steps"] == {"kind": "npo", "stage": "considering"} and summary["slots"]["ward"] == "港北区"
    assert summary["text"] == "解散・継続・NPO法人・迷っている・検討中・港北区の団体です。理事間で意見が割れている"


def test_the_demo_seed_is_one_waiting_conversation_and_idempotent(factory):
    with unit_of_work(factory) as s:
        first = seed_demo(s, utcnow()).id
    with unit_of_work(factory) as s:
        assert seed_demo(s, utcnow()).id == first
    with factory() as s:
        handoff = s.get(Handoff, first)
        assert handoff.status == "waiting" and handoff.user.display_name == "デモ 花子"
        assert s.scalar(select(Conversation.mode).where(Conversation.user_id == handoff.user_id)) == "waiting"
        assert s.scalar(select(func.count(Message.id)).where(Message.user_id == handoff.user_id)) == 12
        assert "NPO法人" in handoff.summary["text"]


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


def test_the_handoff_migration_is_reversible_and_matches_the_models(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0004_handoff")
    assert TABLES <= tables(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert [d for d in diff if any(t in str(d) for t in TABLES)] == []
    command.downgrade(cfg, "0001")
    assert not TABLES & tables(empty_url)
    command.upgrade(cfg, "0004_handoff")
    assert TABLES <= tables(empty_url)
