"""`bot.platform.db.Compiled`: the per-event statements run on the DBAPI cursor behave as `Connection.execute`
would run them: defaults, type processing, listeners, errors and lost connections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, exc, insert, select, text
from sqlalchemy import event as sqlalchemy_event

from bot.platform import db
from bot.platform.conversation import _event_and_pair
from bot.platform.db import Compiled, make_engine
from bot.platform.models import Conversation, Message

LINES, COLUMNS = Message.__table__, Conversation.__table__.c.keys()


def _first_contact(statement: Compiled, connection, line_user_id: str) -> dict:
    """The conversation columns the per-event statement returns for a resident never seen before."""
    now = db.utcnow()
    parameters = {"event_id": f"E{line_user_id}", "event_type": "message", "event_user": line_user_id,
                  "redelivery": False, "new_line_user_id": line_user_id, "now": now}  # fmt: skip
    ((inserted, *values),) = statement.rows(connection, parameters)
    assert inserted
    return dict(zip(COLUMNS, values[: len(COLUMNS)], strict=True))


def _transcript():
    return select(LINES.c.text, LINES.c.confidence, LINES.c.payload, LINES.c.created_at).where(
        LINES.c.user_id == bindparam("user_id")
    )


@pytest.fixture
def engine(pg_url):
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def test_defaults_are_evaluated_at_each_execution_and_results_come_back_typed(engine):
    """The event's statement inserts a first contact's conversation with the columns' Python defaults (a callable
    among them), bound by SQLAlchemy at each execution, not by the database."""
    statement, first_time = Compiled(_event_and_pair()), datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    db.set_clock(lambda: first_time)
    try:
        with engine.begin() as connection:
            first = _first_contact(statement, connection, "U1")
            db.set_clock(lambda: first_time + timedelta(hours=1))
            second = _first_contact(statement, connection, "U2")
    finally:
        db.set_clock(None)
    assert (first["mode"], first["misunderstood_count"], first["throttle_times"]) == ("bot", 0, [])
    assert first["updated_at"] == first_time and second["updated_at"] == first_time + timedelta(hours=1)
    assert first["updated_at"].tzinfo is UTC  # UtcDateTime's result processing
    first["throttle_times"].append(1.0)
    assert second["throttle_times"] == []  # a fresh list per execution, as default=list gives


def test_rows_equal_what_connection_execute_returns(engine):
    when = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    with engine.begin() as connection:
        user_id = _first_contact(Compiled(_event_and_pair()), connection, "U3")["user_id"]
        values = {"user_id": user_id, "direction": "in", "kind": "text", "created_at": when}
        asked = values | {"text": "解散 どうする", "confidence": 0.81, "payload": None}
        answered = values | {"text": "はい", "confidence": None, "payload": {"a": "ボランティア"}}
        connection.execute(insert(LINES), [asked, answered])
        parameters = {"user_id": user_id}
        assert Compiled(_transcript()).rows(connection, parameters) == [
            tuple(row) for row in connection.execute(_transcript(), parameters)
        ]
        stored = connection.execute(text("SELECT payload::text FROM messages WHERE text = 'はい'")).scalar()
    assert stored == '{"a":"ボランティア"}'  # JSON written as UTF-8, without spaces


def test_listeners_hear_the_statement_and_errors_are_sqlalchemys(engine):
    heard = []
    sqlalchemy_event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: heard.append(sql))
    statement = Compiled(_event_and_pair())
    with engine.begin() as connection:
        _first_contact(statement, connection, "U4")
    assert heard and " ".join(heard[0].split()).startswith("WITH ev AS (INSERT INTO inbound_events")
    line = insert(LINES).values(user_id=bindparam("who"), direction="in", kind="text", created_at=bindparam("at"))
    orphan = Compiled(select(line.returning(LINES.c.id).cte("line").c.id))
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        orphan.rows(connection, {"who": 10**6, "at": db.utcnow()})  # a line of no user
    with pytest.raises(exc.StatementError), engine.begin() as connection:
        statement.rows(connection, {"event_id": "E5"})  # parameters missing


def test_a_lost_connection_is_invalidated_and_the_next_checkout_works(engine):
    statement = Compiled(_event_and_pair())
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        connection.commit()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(exc.DBAPIError) as raised:
            _first_contact(statement, connection, "U6")
        assert raised.value.connection_invalidated
    with engine.begin() as connection:
        assert _first_contact(statement, connection, "U6")["mode"] == "bot"


def test_a_positional_parameter_style_is_refused():
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection, pytest.raises(ValueError, match="named parameter style"):
            Compiled(_transcript()).rows(connection, {"user_id": 1})
    finally:
        engine.dispose()
