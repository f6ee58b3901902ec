"""Loading a resident and their conversation row, locked for the duration of one event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import JSON, Connection, Select, bindparam, func, insert, literal, select, true
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from bot.platform.db import Compiled, dialect_insert, insert_new, utcnow
from bot.platform.models import Conversation, InboundEvent, LineUser, Message


def lock_conversation(session: Session, line_user_id: str) -> Conversation:
    """The user's conversation, created on first contact and locked (FOR UPDATE) until commit."""
    found = _locked(session, line_user_id)
    if found is None:  # first contact (if another worker creates the same rows meanwhile, theirs are used)
        found = _created(session, line_user_id)
    if found is None:  # the user or their conversation was there after all (made meanwhile, or a partial pair)
        user_id = insert_new(session, LineUser, "line_user_id", {"line_user_id": line_user_id})
        if user_id is None:  # the user exists, without a conversation yet
            user_id = session.scalar(select(LineUser.id).where(LineUser.line_user_id == line_user_id))
        insert_new(session, Conversation, "user_id", {"user_id": user_id, "slots": {}})
        found = _locked(session, line_user_id)
    conversation, user = found
    set_committed_value(conversation, "user", user)  # the identity map is weak: else `.user` is SELECTed again
    return conversation


# Built once: the statement is the same for every event, only the user differs.
_LOCKED = (
    select(Conversation, LineUser)
    .join(LineUser, LineUser.id == Conversation.user_id)
    .where(LineUser.line_user_id == bindparam("line_user_id"))
    .with_for_update(of=Conversation)
)


def _created(session: Session, line_user_id: str) -> tuple[Conversation, LineUser] | None:
    """First contact: the user and their conversation inserted (returning every column: no SELECT afterwards) and
    put in the session as loaded objects; None when the user already exists (another worker's event made it
    meanwhile). The new conversation row is this transaction's own, invisible to others until commit: locked as
    well as FOR UPDATE."""
    connection = session.connection()
    inserted = _inserted_together if connection.dialect.name == "postgresql" else _inserted_in_turn
    rows = inserted(connection, line_user_id)
    if rows is None:
        return None
    user, conversation = _loaded(session, LineUser, rows[0]), _loaded(session, Conversation, rows[1])
    conversation.first_contact = True
    return conversation, user


_USERS, _CONVERSATIONS, _MESSAGES = LineUser.__table__, Conversation.__table__, Message.__table__


def _new_pair():
    """The user and their conversation inserted by one statement (PostgreSQL), every column of both returned. (The
    Python defaults of a WITH's first INSERT are not applied: the user's are given.)"""
    defaults = {"language": _USERS.c.language.default.arg, "created_at": bindparam("now")}
    user = (
        dialect_insert("postgresql", _USERS)
        .values(line_user_id=bindparam("new_line_user_id"), **defaults)
        .on_conflict_do_nothing(index_elements=["line_user_id"])
        .returning(*_USERS.c)
        .cte("new_user")
    )
    conversation = (
        insert(_CONVERSATIONS)
        .from_select(["user_id", "slots"], select(user.c.id, literal({}, JSON)))
        .returning(*_CONVERSATIONS.c)
        .cte("new_conversation")
    )
    return select(*user.c, *conversation.c).join_from(user, conversation, conversation.c.user_id == user.c.id)


_NEW_PAIR = _new_pair()
_NEW_USER = (
    dialect_insert("sqlite", _USERS)
    .values(line_user_id=bindparam("new_line_user_id"))
    .on_conflict_do_nothing(index_elements=["line_user_id"])
    .returning(*_USERS.c)
)
_NEW_CONVERSATION = (
    insert(_CONVERSATIONS).values(user_id=bindparam("new_user_id"), slots={}).returning(*_CONVERSATIONS.c)
)


def _inserted_together(connection: Connection, line_user_id: str) -> tuple[Sequence, Sequence] | None:
    """PostgreSQL: both rows by one statement (two INSERTs in a WITH); their values, or None if the user exists."""
    row = connection.execute(_NEW_PAIR, {"new_line_user_id": line_user_id, "now": utcnow()}).one_or_none()
    return None if row is None else (row[: len(_USERS.c)], row[len(_USERS.c) :])


def _inserted_in_turn(connection: Connection, line_user_id: str) -> tuple[Sequence, Sequence] | None:
    """SQLite (no INSERT in a WITH): the user, then their conversation."""
    user = connection.execute(_NEW_USER, {"new_line_user_id": line_user_id}).one_or_none()
    if user is None:
        return None
    return user, connection.execute(_NEW_CONVERSATION, {"new_user_id": user[0]}).one()


def _loaded(session: Session, model: type, values: Sequence) -> object:
    """A row's values (every column of `model`'s table, in order) as the session's object, as if queried: cheaper
    than the ORM's INSERT … RETURNING of an entity (about half a ms of CPU per first contact), and than the
    constructor (which records each value as a change, for make_transient_to_detached to discard)."""
    instance = model.__mapper__.class_manager.new_instance()
    instance_state(instance).dict.update(zip(model.__table__.c.keys(), values, strict=True))
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def _locked(session: Session, line_user_id: str) -> tuple[Conversation, LineUser] | None:
    """The conversation and its user in one statement, the conversation row locked."""
    row = session.execute(_LOCKED, {"line_user_id": line_user_id}).one_or_none()
    return None if row is None else (row[0], row[1])


_EVENTS = InboundEvent.__table__


class PreviousMessage(NamedTuple):
    """The resident's message before this event (as `bot.dialogue.misses` reads it), and the kind of the first
    message the bot sent after it (None: no reply)."""

    kind: str
    text: str | None
    faq_id: str | None
    intent: str | None
    confidence: float | None
    created_at: datetime
    first_reply_kind: str | None


def previous_message(user_id, lines=_MESSAGES) -> Select:
    """The resident's latest message in `lines` (the messages table or an alias of it) since :since, with the kind
    of the first message the bot sent after it: PreviousMessage's columns. `user_id` is a bound parameter, or a
    column the statement correlates it with."""
    later = _MESSAGES.alias("r")
    first_reply = (
        select(later.c.kind)
        .where(
            later.c.user_id == lines.c.user_id,
            later.c.created_at >= lines.c.created_at,
            later.c.direction == "out",
            later.c.id > lines.c.id,
        )
        .order_by(later.c.created_at, later.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(*(lines.c[name] for name in PreviousMessage._fields[:-1]), first_reply.label("first_reply_kind"))
        .where(lines.c.user_id == user_id, lines.c.created_at >= bindparam("since"), lines.c.direction == "in")
        .order_by(lines.c.created_at.desc(), lines.c.id.desc())
        .limit(1)
    )


def _event_and_pair(with_previous: bool = False):
    """PostgreSQL: the event id recorded (dedupe) and the user's conversation locked, or on first contact the user
    and their conversation inserted, by one statement. No row when the event id was there already (a redelivery: the
    conversation is not looked at); else whether the pair was inserted here, then the conversation's and the user's
    columns (locked, or inserted; NULL when neither: made meanwhile by another event, or a user without one)."""
    # Short names: psycopg caches the parsing of a statement of at most 4096 bytes (MAX_CACHED_STATEMENT_LENGTH) and
    # parses a longer one again at every execution (about 0.3 ms of CPU).
    event = (
        dialect_insert("postgresql", _EVENTS)
        .values(
            webhook_event_id=bindparam("event_id"),
            event_type=bindparam("event_type"),
            line_user_id=bindparam("event_user"),
            is_redelivery=bindparam("redelivery"),
            received_at=bindparam("now"),
        )
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(_EVENTS.c.id)
        .cte("ev")
    )
    c, u = _CONVERSATIONS.alias("c"), _USERS.alias("u")
    found = (
        select(*(x.label(f"c{i}") for i, x in enumerate(c.c)), *(x.label(f"u{i}") for i, x in enumerate(u.c)))
        .select_from(event)
        .join(c, true())
        .join(u, u.c.id == c.c.user_id)
        .where(u.c.line_user_id == bindparam("new_line_user_id"))
        .with_for_update(of=c)
        .cte("found")
    )
    values = select(
        bindparam("new_line_user_id", type_=_USERS.c.line_user_id.type),
        literal(_USERS.c.language.default.arg, _USERS.c.language.type),
        bindparam("now", type_=_USERS.c.created_at.type),
    )
    values = values.select_from(event).where(~select(found.c.c0).exists())  # only when none was found
    user = (
        dialect_insert("postgresql", _USERS)
        .from_select(["line_user_id", "language", "created_at"], values)
        .on_conflict_do_nothing(index_elements=["line_user_id"])
        .returning(*_USERS.c)
        .cte("nu")
    )
    conversation = (
        insert(_CONVERSATIONS)
        .from_select(["user_id", "slots"], select(user.c.id, literal({}, JSON)))
        .returning(*_CONVERSATIONS.c)
        .cte("nc")
    )
    # At most one of the two pairs is there: each column is the found one's or else the inserted one's (one set of
    # columns to read, not two).
    conversation_columns = [
        func.coalesce(found.c[f"c{i}"], conversation.c[x.name]).label(f"c{i}") for i, x in enumerate(c.c)
    ]
    user_columns = [func.coalesce(found.c[f"u{i}"], user.c[x.name]).label(f"u{i}") for i, x in enumerate(u.c)]
    statement = (
        select(conversation.c.id.is_not(None), *conversation_columns, *user_columns)
        .select_from(event)
        .outerjoin(found, true())
        .outerjoin(user, true())
        .outerjoin(conversation, conversation.c.user_id == user.c.id)
    )
    if not with_previous:
        return statement
    # The resident's previous message, for the rephrase check (a text event's): read in the same statement,
    # so the event needs no query of its own for it. Nothing on first contact (no user was found).
    previous = previous_message(found.c.u0, _MESSAGES.alias("m")).lateral("p")
    return statement.add_columns(*previous.c).outerjoin(previous, true())


_EVENT_AND_PAIR = Compiled(_event_and_pair())
_EVENT_PAIR_AND_PREVIOUS = Compiled(_event_and_pair(with_previous=True))
_NC = len(_CONVERSATIONS.c)
_NU = len(_USERS.c)


def record_and_lock(
    session: Session, event: dict, line_user_id: str, previous_since: datetime | None = None
) -> Conversation | None:
    """PostgreSQL: record the event (`event`: its webhook_event_id, event_type, is_redelivery) and lock the user's
    conversation, created on first contact, in one round trip (a redelivery, a returning resident and a first
    contact alike); None when the event was processed before. As `record_event` then `lock_conversation`. With
    `previous_since`, the same statement reads the resident's latest message since then (`previous_message`)."""
    parameters = {
        "event_id": event["webhook_event_id"],
        "event_type": event["event_type"],
        "event_user": line_user_id,
        "redelivery": event["is_redelivery"],
        "new_line_user_id": line_user_id,
        "now": utcnow(),
    }
    statement = _EVENT_AND_PAIR
    if previous_since is not None:
        statement, parameters["since"] = _EVENT_PAIR_AND_PREVIOUS, previous_since
    rows = statement.rows(session.connection(), parameters)
    if not rows:
        return None
    (row,) = rows
    if row[1] is None:  # made meanwhile by another event, or a user without a conversation: as lock_conversation does
        return lock_conversation(session, line_user_id)
    conversation = _loaded(session, Conversation, row[1 : 1 + _NC])
    user = _loaded(session, LineUser, row[1 + _NC : 1 + _NC + _NU])
    conversation.first_contact = row[0]  # both rows inserted by this statement
    set_committed_value(conversation, "user", user)
    if previous_since is not None:
        _keep_previous(conversation, row[1 + _NC + _NU :], previous_since)
    return conversation


def _keep_previous(conversation: Conversation, values: Sequence, since: datetime) -> None:
    """Keep the previous message the statement read, when it is surely the latest. The statement reads the
    transcript as it was when it began, and may have waited for the conversation's lock while another event of
    the resident's committed: then the conversation row (read after the wait) is newer than what it read. Every
    incoming line with a reply token stamps the row's `last_reply_token_at` with the line's own time, so the two
    agree when nothing came in between; otherwise nothing is kept and the rephrase check queries for itself."""
    previous = PreviousMessage(*values) if values[0] is not None else None
    stamped = conversation.last_reply_token_at
    if previous is not None and previous.created_at != stamped:
        return
    if previous is None and stamped is not None and stamped >= since:
        return
    conversation.previous_message = (previous,)
