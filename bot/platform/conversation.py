"""Loading a resident and their conversation row, locked for the duration of one event."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import JSON, Connection, bindparam, insert, literal, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from bot.platform.db import dialect_insert, insert_new, utcnow
from bot.platform.models import Conversation, LineUser


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


_USERS, _CONVERSATIONS = LineUser.__table__, Conversation.__table__


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
    than the ORM's INSERT … RETURNING of an entity (about half a ms of CPU per first contact)."""
    instance = model(**dict(zip(model.__table__.c.keys(), values, strict=True)))
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def _locked(session: Session, line_user_id: str) -> tuple[Conversation, LineUser] | None:
    """The conversation and its user in one statement, the conversation row locked."""
    row = session.execute(_LOCKED, {"line_user_id": line_user_id}).one_or_none()
    return None if row is None else (row[0], row[1])
