"""Loading a resident and their conversation row, locked for the duration of one event."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from bot.platform.db import dialect_insert, insert_new
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
    """First contact: the user and their conversation inserted (two Core statements returning every column, no
    SELECT afterwards) and put in the session as loaded objects; None when either row already exists (another
    worker's event made it meanwhile). The new conversation row is this transaction's own, invisible to others until
    commit: locked as well as FOR UPDATE."""
    connection = session.connection()
    user_insert, conversation_insert = _new_rows(connection.dialect.name)
    row = connection.execute(user_insert, {"new_line_user_id": line_user_id}).one_or_none()
    if row is None:
        return None
    user = _loaded(session, LineUser, row)
    row = connection.execute(conversation_insert, {"new_user_id": user.id}).one_or_none()
    if row is None:
        return None
    conversation = _loaded(session, Conversation, row)
    conversation.first_contact = True
    return conversation, user


_NEW_ROWS: dict[str, tuple] = {}  # dialect -> (user INSERT, conversation INSERT), built once


def _new_rows(dialect: str) -> tuple:
    statements = _NEW_ROWS.get(dialect)
    if statements is None:
        users, conversations = LineUser.__table__, Conversation.__table__
        user = dialect_insert(dialect, users).values(line_user_id=bindparam("new_line_user_id"))
        conversation = dialect_insert(dialect, conversations).values(user_id=bindparam("new_user_id"), slots={})
        statements = _NEW_ROWS[dialect] = (
            user.on_conflict_do_nothing(index_elements=["line_user_id"]).returning(*users.c),
            conversation.on_conflict_do_nothing(index_elements=["user_id"]).returning(*conversations.c),
        )
    return statements


def _loaded(session: Session, model: type, row) -> object:
    """`row` (every column of `model`'s table, named as its attributes) as the session's object, as if queried:
    cheaper than the ORM's INSERT … RETURNING of an entity (about half a ms of CPU per first contact)."""
    instance = model(**row._mapping)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def _locked(session: Session, line_user_id: str) -> tuple[Conversation, LineUser] | None:
    """The conversation and its user in one statement, the conversation row locked."""
    row = session.execute(_LOCKED, {"line_user_id": line_user_id}).one_or_none()
    return None if row is None else (row[0], row[1])
