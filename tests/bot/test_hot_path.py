"""The webhook's lean hot path: the per-event rows in one transaction, the content-version cache, the pool's
idle ping, batched outcomes and the emulator's validation cache."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select, text

from bot.line.delivery import Attempt, Claim
from bot.line.emulator import api, schema
from bot.line.sender import Sender
from bot.pipeline import write_changes
from bot.platform import db
from bot.platform.conversation import _keep_previous, lock_conversation
from bot.platform.db import make_engine, make_session_factory, unit_of_work
from bot.platform.models import Conversation, InboundEvent, Message, OutboxItem
from knowledge.models import FaqEntry
from knowledge.store import IndexCache
from tests.support.driver import WebhookUser
from tests.support.events import text_event


def test_a_text_event_stores_its_event_id_transcript_and_claimed_outbox_item_together(post_events, app):
    assert post_events(text_event("駐車場はありますか")).status_code == 200
    factory = app.extensions["madoguchi"].session_factory
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 1
        incoming = session.scalars(select(Message).where(Message.direction == "in")).one()
        outgoing = session.scalars(select(Message).where(Message.direction == "out")).all()
        item = session.scalars(select(OutboxItem)).one()
    assert incoming.text == "駐車場はありますか" and incoming.intent is not None  # labelled with what the reply made
    assert outgoing and all(line.outbox_id == item.id for line in outgoing)
    assert {line.intent for line in outgoing} == {incoming.intent}
    assert item.reply_token is not None and item.attempts == 1  # created claimed for this process's first attempt


def test_a_redelivered_event_adds_nothing(post_events, app):
    post_events(text_event("駐車場はありますか", event_id="01EVENTREDELIVERED0000000"))
    post_events(text_event("駐車場はありますか", event_id="01EVENTREDELIVERED0000000", redelivery=True))
    with app.extensions["madoguchi"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 1
        assert session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in")) == 1


def test_the_content_version_is_read_once_a_second_but_an_edit_in_this_process_shows_at_once(db_url):
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    cache = IndexCache.with_shipped_glossary()
    try:
        with factory() as session:
            first = cache.get(session)
            assert cache.get(session) is first
        with unit_of_work(factory) as session:  # staff edit an entry in this process (the admin)
            entry = session.scalars(select(FaqEntry).order_by(FaqEntry.id)).first()
            entry.version += 1
        with factory() as session:
            assert cache.get(session) is not first
            second = cache.get(session)
        with engine.begin() as connection:  # another process's edit: not seen through the ORM here
            connection.execute(text("UPDATE faq_entries SET version = version + 1 WHERE id = :id"), {"id": entry.id})
        with factory() as session:
            assert cache.get(session) is second  # within the second
            cache._checked = (time.monotonic() - cache.version_ttl, cache._checked[1])
            assert cache.get(session) is not second  # after it
    finally:
        engine.dispose()


def test_a_connection_idle_in_the_pool_is_pinged_and_replaced_when_the_server_dropped_it(pg_url, monkeypatch):
    """On PostgreSQL in both passes of `make test` (a dropped server connection is a server's matter)."""
    db_url = pg_url
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        other = make_engine(db_url)
        with other.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.dispose()
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
        with engine.connect() as connection:  # the dead connection is pinged, dropped and replaced
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()


def test_the_pool_hands_out_the_connection_returned_last(pg_url):
    """On PostgreSQL in both passes of `make test` (the server's pool)."""
    engine = make_engine(pg_url)
    try:
        first, second = engine.connect(), engine.connect()
        pids = [c.execute(text("SELECT pg_backend_pid()")).scalar() for c in (first, second)]
        first.close()
        second.close()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() == pids[1]
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(db_url):
    engine = make_engine(db_url)
    pings = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: pings.append(1) or original(connection)
    try:
        for _ in range(5):
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        assert pings == []
    finally:
        engine.dispose()


def test_outcomes_arriving_close_together_are_stored_in_one_transaction(monkeypatch):
    import bot.line.sender as sender_module

    batches, done = [], threading.Event()

    def record(factory, outcomes, policy=None):
        batches.append(len(outcomes))
        if sum(batches) == 3:
            done.set()
        return []

    monkeypatch.setattr(sender_module, "record", record)
    sender = Sender(factory=None, gateway=None, asynchronous=True)
    try:
        sender._start_recorder()
        for item_id in (1, 2, 3):
            sender._outcomes.put((Claim(item_id, "U1", None, None, [], "k", 1, 0), Attempt("push")))
            time.sleep(0.01)
        assert done.wait(5)
        assert batches == [3]
    finally:
        sender.shutdown()


def test_the_emulator_reports_the_same_errors_when_it_checks_each_distinct_message_once():
    bad = {
        "replyToken": 7,
        "messages": [
            {"type": "text", "text": "ok"},
            {"type": "flex", "altText": "a", "contents": {"type": "bubble", "body": {"type": "nope"}}},
            3,
            {"type": "text"},
            {"type": "sticker", "packageId": "1"},
            {"type": "text", "text": "ok"},
        ],
    }
    for _ in range(2):  # the second time from the cache
        whole = []
        for error in schema.validator(api.SPEC, "ReplyMessageRequest").iter_errors(bad):
            whole += schema._details(error)
        split = schema.errors(api.SPEC, "ReplyMessageRequest", bad)
        assert {(d["property"], d["message"]) for d in split} == {(d["property"], d["message"]) for d in whole}
        assert {d["property"] for d in split} >= {"replyToken", "messages", "messages[2]", "messages[3].text"}


def test_a_repeated_text_is_ranked_once_per_index_and_a_staff_edit_is_answered_at_once(app, post_events):
    question, factory = "窓口にいる猫の名前を教えてください", app.extensions["madoguchi"].session_factory

    def answered_with() -> str | None:
        with factory() as session:
            query = select(Message.faq_id).where(Message.direction == "in").order_by(Message.id.desc())
            return session.scalars(query).first()

    def kept():
        with factory() as session:
            return app.extensions["madoguchi"].context.knowledge.get(session)._kept_rankings.cache_info()

    resident = WebhookUser(app, post_events)
    resident.says(question)
    first = kept()
    resident.says(question)
    assert kept().misses == first.misses and kept().hits > first.hits  # the second message was not ranked again
    with unit_of_work(factory) as session:  # staff add the resident's words to an entry (the admin, this process)
        entry = session.scalars(select(FaqEntry).where(FaqEntry.id != answered_with()).order_by(FaqEntry.id)).first()
        entry.paraphrases, entry.version = [*entry.paraphrases, question], entry.version + 1
        target = entry.id
    WebhookUser(app, post_events).says(question)  # another resident (two misses handed the first to a person)
    assert answered_with() == target  # a new index: the old one's kept ranking is not used


def test_an_event_writes_its_conversation_and_user_changes_itself_and_the_commit_flushes_nothing_more(db_url):
    engine = make_engine(db_url)
    factory, statements = make_session_factory(engine), []
    sqlalchemy_event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_rest: statements.append(sql))
    try:
        with unit_of_work(factory) as session:
            before = lock_conversation(session, "U" + "c" * 32).updated_at
        with unit_of_work(factory) as session:
            conversation = lock_conversation(session, "U" + "c" * 32)
            conversation.flow, conversation.user.language = "volunteer", "en"
            statements.clear()
            write_changes(session, conversation, conversation.user)
            assert conversation not in session and not session.dirty
            written = list(statements)
        assert [sql.split()[:2] for sql in written] == [["UPDATE", "conversations"], ["UPDATE", "line_users"]]
        assert statements == written  # the commit wrote nothing more
        with factory() as session:
            stored = lock_conversation(session, "U" + "c" * 32)
            assert (stored.flow, stored.user.language) == ("volunteer", "en") and stored.updated_at > before
    finally:
        engine.dispose()


def test_a_first_contact_reads_no_earlier_messages_and_a_returning_resident_does(post_events, app):
    """The rephrase check looks for the resident's previous message: on first contact there is none to look for.
    On PostgreSQL the statement that records the event and locks the conversation reads it too (no query of its
    own); on SQLite a query of its own reads it."""
    engine = app.extensions["madoguchi"].session_factory().get_bind()
    statements: list[str] = []
    listener = lambda _c, _cur, sql, *_rest: statements.append(" ".join(sql.split()).lower())  # noqa: E731
    sqlalchemy_event.listen(engine, "before_cursor_execute", listener)
    try:
        resident = WebhookUser(app, post_events)
        resident.says("駐車場はありますか")
        first = [s for s in statements if s.startswith("select") and "from messages" in s]
        statements.clear()
        resident.says("駐輪場はありますか")
        second = [s for s in statements if s.startswith("select") and "from messages" in s]
        locked = [s for s in statements if s.startswith("with ev as")]
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", listener)
    assert first == []
    if engine.dialect.name == "postgresql":
        assert second == [] and len(locked) == 1 and "left outer join lateral" in locked[0]
    else:
        assert second


def test_a_previous_message_read_before_the_lock_was_won_is_not_trusted():
    """The locking statement reads the transcript as it was when it began; if it waited for the lock while another
    of the resident's events committed, the row it locked is newer than what it read, and the read is dropped (the
    rephrase check then queries for itself)."""
    now = db.utcnow()
    since, line = now - timedelta(minutes=3), ("text", "理事は何人？", "founding.officers", "founding", 0.9)

    def kept(values, stamped):
        conversation = Conversation(last_reply_token_at=stamped)
        _keep_previous(conversation, values, since)
        return conversation.previous_message

    read = (*line, now - timedelta(seconds=30), "flex")
    assert kept(read, now - timedelta(seconds=30))[0].faq_id == "founding.officers"  # the row agrees: the latest
    assert kept(read, now - timedelta(seconds=2)) is None  # a later message came in meanwhile: not trusted
    nothing = (None,) * 7
    assert kept(nothing, None) == (None,) and kept(nothing, now - timedelta(minutes=10)) == (None,)  # none since
    assert kept(nothing, now - timedelta(seconds=2)) is None  # a message within the window the read did not see


def test_a_first_contact_writes_with_two_statements_on_postgresql(post_events, app):
    """The event id and the new user and conversation by one statement; the incoming line, the claimed outbox item,
    its transcript lines and the conversation's changes by another (PostgreSQL); SQLite, with no INSERT in a WITH,
    takes them in turn. Either way the incoming line comes first, the reply's lines point at their item and the
    conversation keeps what the event changed."""
    engine = app.extensions["madoguchi"].engine
    statements: list[str] = []
    listener = lambda _c, _cur, sql, *_rest: statements.append(" ".join(sql.split()))  # noqa: E731
    sqlalchemy_event.listen(engine, "before_cursor_execute", listener)
    event = text_event("駐車場はありますか", user_id="U" + "e" * 32)
    try:
        assert post_events(event).status_code == 200
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", listener)
    writes = [s for s in statements if s.startswith(("INSERT", "WITH", "UPDATE conversations", "UPDATE line_users"))]
    if engine.dialect.name == "postgresql":
        assert len(writes) == 2, writes
        assert writes[0].startswith("WITH ev AS (INSERT INTO inbound_events")
        assert "INSERT INTO line_users" in writes[0] and "INSERT INTO conversations" in writes[0]
        assert writes[1].startswith("WITH new_item AS (INSERT INTO outbox") and "INSERT INTO messages" in writes[1]
        assert "UPDATE conversations" in writes[1]
    with app.extensions["madoguchi"].session_factory() as session:
        lines = session.scalars(select(Message).order_by(Message.id)).all()
        item = session.scalars(select(OutboxItem)).one()
        conversation = lock_conversation(session, "U" + "e" * 32)
    assert conversation.last_reply_token == event["replyToken"] and len(conversation.throttle_times) == 1
    assert conversation.updated_at > conversation.user.created_at
    assert [line.direction for line in lines] == ["in"] + ["out"] * len(item.messages)
    assert lines[0].text == "駐車場はありますか" and lines[0].intent is not None and lines[0].outbox_id is None
    assert [line.payload for line in lines[1:]] == item.messages and {line.outbox_id for line in lines[1:]} == {item.id}
    assert item.attempts == 1 and item.reply_token is not None


def test_an_incoming_line_goes_in_before_a_reply_of_more_than_one_item(db_url):
    from bot.line.outbox import enqueue_claims
    from bot.line.outbox_policy import RetryPolicy

    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    try:
        with unit_of_work(factory) as session:
            conversation = lock_conversation(session, "U" + "c" * 32)
            user_id, now = conversation.user_id, db.utcnow()
            incoming = {"user_id": user_id, "direction": "in", "kind": "text", "text": "やあ", "created_at": now}
            messages = [{"type": "text", "text": f"m{k}"} for k in range(7)]
            claims = enqueue_claims(session, user_id, "U" + "c" * 32, messages, "tok", None, RetryPolicy(), incoming)
        with factory() as session:
            lines = session.scalars(select(Message).order_by(Message.id)).all()
            items = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        assert [c.id for c in claims] == [i.id for i in items] and [len(i.messages) for i in items] == [5, 2]
        assert [line.text for line in lines] == ["やあ"] + [f"m{k}" for k in range(7)]
        assert [line.outbox_id for line in lines] == [None] + [items[0].id] * 5 + [items[1].id] * 2
        assert (items[0].reply_token, items[1].reply_token) == ("tok", None)
    finally:
        engine.dispose()


def test_the_hot_statements_stay_within_what_psycopg_and_sqlalchemy_cache():
    """The event's two PostgreSQL statements (the first in two forms: a text event's also reads the previous
    message) are compiled once (`bot.platform.db.Compiled`) and parsed once per
    connection (psycopg caches a statement of at most 4096 bytes and 50 parameters, and parses a larger one again at
    every execution: about 0.3 ms of CPU per event). A reply of up to 4 messages with the usual conversation changes
    fits; a new column that pushes a statement over the limit fails here."""
    from psycopg import _queries as psycopg_queries
    from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

    from bot.line.outbox import _together
    from bot.platform.conversation import _EVENT_AND_PAIR, _EVENT_PAIR_AND_PREVIOUS

    dialect = psycopg_dialect.dialect()
    changed = ("last_reply_token", "last_reply_token_at", "throttle_times", "misunderstood_count", "updated_at")
    replies = [_together(n, ((Conversation.__table__, changed),)) for n in range(1, 5)]
    statements = [_EVENT_AND_PAIR, _EVENT_PAIR_AND_PREVIOUS, *replies]
    for statement in (compiled.statement for compiled in statements):
        assert statement._generate_cache_key() is not None  # a multi-row VALUES, for one, would not be cached
        compiled = statement.compile(dialect=dialect)
        assert len(str(compiled).encode()) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH
        assert len(compiled.params) <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS
