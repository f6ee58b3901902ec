"""A resident's first contact creates their user and conversation rows once, even when events race."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select, text

from bot.pipeline import write_changes
from bot.platform.conversation import lock_conversation, record_and_lock
from bot.platform.db import make_engine, make_session_factory, unit_of_work, utcnow
from bot.platform.models import Conversation, InboundEvent, LineUser, Message

NEWCOMER = "U" + "c" * 32


@pytest.fixture
def factory(db_url):
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def counts(factory) -> tuple[int, int]:
    with factory() as session:
        users = session.scalar(select(func.count()).select_from(LineUser).where(LineUser.line_user_id == NEWCOMER))
        conversations = session.scalar(
            select(func.count()).select_from(Conversation).join(LineUser).where(LineUser.line_user_id == NEWCOMER)
        )
    return users, conversations


def test_first_contact_creates_the_user_and_a_bot_conversation_and_later_ones_find_them(factory):
    with unit_of_work(factory) as session:
        first = lock_conversation(session, NEWCOMER)
        assert first.user.line_user_id == NEWCOMER and first.mode == "bot" and first.slots == {}
    with unit_of_work(factory) as session:
        assert lock_conversation(session, NEWCOMER).id == first.id
    assert counts(factory) == (1, 1)


def test_a_user_known_without_a_conversation_gets_one(factory):
    with unit_of_work(factory) as session:
        session.add(LineUser(line_user_id=NEWCOMER, display_name="先に登録"))
    with unit_of_work(factory) as session:
        conversation = lock_conversation(session, NEWCOMER)
        assert conversation.user.display_name == "先に登録"
    assert counts(factory) == (1, 1)


def test_racing_first_events_share_one_user_and_one_conversation(factory):
    barrier, found, errors = threading.Barrier(8), [], []

    def first_event() -> None:
        barrier.wait()
        try:
            with unit_of_work(factory) as session:
                found.append(lock_conversation(session, NEWCOMER).id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_event) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(found) == 8 and len(set(found)) == 1
    assert counts(factory) == (1, 1)


def test_a_first_contact_inserts_its_rows_without_reading_them_back_and_they_are_as_if_queried(factory):
    """The lock finds nothing, the user and the conversation are inserted (by one statement on PostgreSQL); their
    objects are loaded, unchanged, so that what the event changes is written as for a returning resident."""
    engine, statements = factory.kw["bind"], []
    listener = lambda _c, _cur, sql, *_rest: statements.append(" ".join(sql.split()))  # noqa: E731
    sqlalchemy_event.listen(engine, "before_cursor_execute", listener)
    try:
        with unit_of_work(factory) as session:
            conversation = lock_conversation(session, NEWCOMER)
            created = [s for s in statements if not s.startswith("BEGIN")]  # SQLite's BEGIN is a statement
            assert conversation in session and not session.new and not session.dirty
            conversation.flow = "volunteer"
            written = len(statements)
            write_changes(session, conversation, conversation.user)
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", listener)
    together = engine.dialect.name == "postgresql"
    assert len(created) == (2 if together else 3) and created[0].startswith("SELECT")
    inserts = " ".join(created[1:])
    assert "INSERT INTO line_users" in inserts and "INSERT INTO conversations" in inserts
    assert [s.split()[:2] for s in statements[written:]] == [["UPDATE", "conversations"]]
    with unit_of_work(factory) as session:
        stored = lock_conversation(session, NEWCOMER)
        assert (stored.flow, stored.mode, stored.slots, stored.misunderstood_count) == ("volunteer", "bot", {}, 0)
        assert stored.throttle_times == [] and stored.updated_at > conversation.updated_at
        assert stored.user.language == "ja" and stored.user.created_at == conversation.user.created_at is not None


def _event(event_id: str) -> dict:
    return {"webhook_event_id": event_id, "event_type": "message", "is_redelivery": False}


def test_on_postgresql_one_statement_records_the_event_and_locks_or_creates_the_conversation(pg_url):
    """PostgreSQL (both passes of `make test`): first contact, a returning resident and a redelivery each take one
    statement; the rows are as lock_conversation's, the event is recorded once, and a redelivery creates nothing."""
    factory = make_session_factory(make_engine(pg_url))
    engine, statements = factory.kw["bind"], []
    listener = lambda _c, _cur, sql, *_rest: statements.append(" ".join(sql.split()))  # noqa: E731
    sqlalchemy_event.listen(engine, "before_cursor_execute", listener)
    try:
        with unit_of_work(factory) as session:
            first = record_and_lock(session, _event("01FIRST"), NEWCOMER)
            assert len(statements) == 1 and first.first_contact and first.user.line_user_id == NEWCOMER
            assert first in session and not session.new and not session.dirty
            assert (first.mode, first.slots, first.throttle_times, first.user.language) == ("bot", {}, [], "ja")
            first.flow = "volunteer"
            write_changes(session, first, first.user)
        statements.clear()
        with unit_of_work(factory) as session:
            again = record_and_lock(session, _event("01SECOND"), NEWCOMER)
            assert len(statements) == 1 and not again.first_contact
            assert (again.id, again.user.id, again.flow) == (first.id, first.user.id, "volunteer")
            assert again in session and not session.new and not session.dirty
        with unit_of_work(factory) as session:
            assert record_and_lock(session, _event("01SECOND"), NEWCOMER) is None  # a redelivery
            assert record_and_lock(session, _event("01FIRST"), "U" + "d" * 32) is None  # creates no user
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(InboundEvent)) == 2
            assert session.scalar(select(func.count()).select_from(LineUser)) == 1
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", listener)
        engine.dispose()
    assert counts(factory) == (1, 1)


def test_on_postgresql_a_user_known_without_a_conversation_gets_one_with_the_event(pg_url):
    factory = make_session_factory(make_engine(pg_url))
    try:
        with unit_of_work(factory) as session:
            session.add(LineUser(line_user_id=NEWCOMER, display_name="先に登録"))
        with unit_of_work(factory) as session:
            conversation = record_and_lock(session, _event("01KNOWN"), NEWCOMER)
            assert conversation.user.display_name == "先に登録" and conversation.slots == {}
        assert counts(factory) == (1, 1)
    finally:
        factory.kw["bind"].dispose()


def test_on_postgresql_racing_first_events_share_one_user_and_one_conversation(pg_url):
    factory = make_session_factory(make_engine(pg_url))
    barrier, found, errors = threading.Barrier(8), [], []

    def first_event(k: int) -> None:
        barrier.wait()
        try:
            with unit_of_work(factory) as session:
                found.append(record_and_lock(session, _event(f"01RACE{k}"), NEWCOMER).id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_event, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        assert errors == [] and len(found) == 8 and len(set(found)) == 1
        assert counts(factory) == (1, 1)
    finally:
        factory.kw["bind"].dispose()


def test_on_postgresql_a_previous_message_read_while_waiting_for_the_lock_is_not_kept(pg_url):
    """A text event's statement also reads the resident's previous message (for the rephrase check), as the
    transcript was when the statement began. When it waited for the conversation's lock while the resident's
    previous event committed its line, that read is stale: it is dropped, and the next event reads the line."""
    factory = make_session_factory(make_engine(pg_url))
    since = utcnow() - timedelta(minutes=3)
    waited: list = []
    try:
        with unit_of_work(factory) as session:
            record_and_lock(session, _event("01FIRST"), NEWCOMER)
        with unit_of_work(factory) as first:  # the previous event: holds the lock, commits its line at the end
            conversation = record_and_lock(first, _event("01PREV"), NEWCOMER, since)
            assert conversation.previous_message == (None,)  # nothing written since: none, and surely none
            now = utcnow()
            first.add(Message(user_id=conversation.user_id, direction="in", kind="text", text="理事は何人？",
                              faq_id="founding.officers", created_at=now))  # fmt: skip
            conversation.last_reply_token, conversation.last_reply_token_at = "tok", now
            write_changes(first, conversation, conversation.user)

            def next_event() -> None:
                with unit_of_work(factory) as session:
                    waited.append(record_and_lock(session, _event("01NEXT"), NEWCOMER, since).previous_message)

            thread = threading.Thread(target=next_event)
            thread.start()
            deadline = time.monotonic() + 10
            with factory.kw["bind"].connect() as watcher:  # until the next event waits for the lock
                waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                while not watcher.execute(waiting).scalar() and time.monotonic() < deadline:
                    time.sleep(0.02)
        thread.join(timeout=30)
        assert waited == [None]  # it read the transcript from before the line: not kept, so queried again
        with unit_of_work(factory) as session:
            latest = record_and_lock(session, _event("01LAST"), NEWCOMER, since).previous_message
        assert latest is not None and latest[0].text == "理事は何人？" and latest[0].faq_id == "founding.officers"
    finally:
        factory.kw["bind"].dispose()
