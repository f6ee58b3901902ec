"""The outbox: messages are stored with the state change that caused them, then sent (`bot.line.delivery`).

`enqueue` stores items through the ORM (services, jobs); `enqueue_claims` is the webhook's hot path: the same
rows through Core statements built once, inserted already claimed for their first attempt (`claim_for`) so the
webhook sends them itself right after commit without a claiming UPDATE. On PostgreSQL one statement writes the
event's incoming line, its reply item and transcript lines, and the event's other row changes (`RowUpdate`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, Table, bindparam, cast, insert, literal_column, null, select, union_all, update
from sqlalchemy.orm import Session

from bot.line.delivery import Claim
from bot.line.messages import MAX_MESSAGES, visible_text
from bot.line.outbox_policy import RetryPolicy
from bot.platform.db import Compiled, utcnow
from bot.platform.models import Message, OutboxItem


def enqueue(
    session: Session,
    user_id: int,
    line_user_id: str,
    messages: list[dict],
    reply_token: str | None = None,
    meta: dict | None = None,
    claim_for: RetryPolicy | None = None,
) -> list[OutboxItem]:
    """Store messages for sending (≤ 5 per API call) and their transcript lines; flush, never commit.

    With `claim_for`, the items are created claimed for their first attempt (a lease of that policy): the
    caller sends them after commit with `send_claimed(..., [Claim.of(item) ...])`.
    """
    items: list[OutboxItem] = []
    now = utcnow()
    for start in range(0, len(messages), MAX_MESSAGES):
        batch = messages[start : start + MAX_MESSAGES]
        token = reply_token if start == 0 else None
        item = OutboxItem(
            user_id=user_id,
            line_user_id=line_user_id,
            reply_token=token,
            reply_token_at=now if token else None,
            messages=batch,
            retry_key=str(uuid.uuid4()),
        )
        if claim_for is not None:  # the same values as claim() sets, without its UPDATE
            item.claimed_at, item.claimed_until, item.attempts = now, now + claim_for.lease, 1
            item.reply_unsettled = 1 if token else 0
        session.add(item)
        for message in batch:
            session.add(
                Message(
                    user_id=user_id,
                    direction="out",
                    kind=message.get("type", "text"),
                    text=visible_text(message),
                    payload=message,
                    outbox=item,
                    **(meta or {}),
                )
            )
        items.append(item)
    session.flush()  # one flush for the items and their transcript lines
    return items


# The webhook's statements, built once (SQLAlchemy Core: no unit of work, no statement rebuilt per event).
_OUTBOX = OutboxItem.__table__
_MESSAGES = Message.__table__
_INSERT_ITEM = insert(_OUTBOX).returning(_OUTBOX.c.id)
_INSERT_LINES = insert(_MESSAGES)


def enqueue_claims(
    session: Session,
    user_id: int,
    line_user_id: str,
    messages: list[dict],
    reply_token: str | None = None,
    meta: dict | None = None,
    claim_for: RetryPolicy | None = None,
    incoming: dict | None = None,
    updates: Sequence[RowUpdate] = (),
) -> list[Claim]:
    """`enqueue` for the webhook's hot path: the same rows through Core statements built once, on the session's
    connection (so in its transaction); returns the items' claims (valid to send after commit when created
    claimed with `claim_for`). `incoming` (a transcript line's values: the event's own line) is inserted first.
    When `writes_together` (PostgreSQL, one item), one statement inserts them all and applies `updates` (the
    event's other row changes; only then may there be any): one round trip instead of three or four."""
    connection, now, claims, lines = session.connection(), utcnow(), [], []
    meta = {"intent": None, "faq_id": None} | (meta or {})
    if writes_together(session, messages, incoming):
        return [_enqueued_together(connection, now, user_id, line_user_id, messages, reply_token, meta, claim_for,
                                   incoming, updates)]  # fmt: skip
    if updates:
        raise ValueError("row updates go with the items only when they are written together")
    if incoming is not None:
        connection.execute(_INSERT_LINES, incoming)
    for start in range(0, len(messages), MAX_MESSAGES):
        batch = messages[start : start + MAX_MESSAGES]
        values = _item(user_id, line_user_id, batch, reply_token if start == 0 else None, now, claim_for)
        item_id = connection.execute(_INSERT_ITEM, values).scalar_one()
        claims.append(_claim(item_id, values))
        lines += [_line(user_id, message, item_id, meta, now) for message in batch]
    if lines:
        connection.execute(_INSERT_LINES, lines)
    return claims


@dataclass(frozen=True)
class RowUpdate:
    """A row's changed columns (every one to set, `onupdate` ones included), to apply with the outbox items."""

    table: Table
    row_id: int
    values: dict


def writes_together(session: Session, messages: list[dict], incoming: dict | None) -> bool:
    """Whether `enqueue_claims` writes these in one statement (PostgreSQL, an incoming line, one item's messages)."""
    one_item = incoming is not None and 0 < len(messages) <= MAX_MESSAGES
    return one_item and session.get_bind().dialect.name == "postgresql"


def _item(user_id, line_user_id, batch, token, now, claim_for: RetryPolicy | None) -> dict:
    values = {
        "user_id": user_id,
        "line_user_id": line_user_id,
        "reply_token": token,
        "reply_token_at": now if token else None,
        "messages": batch,
        "retry_key": str(uuid.uuid4()),
        "status": "pending",
        "attempts": 0,
        "reply_unsettled": 0,
        "created_at": now,
        "claimed_at": None,
        "claimed_until": None,
    }
    if claim_for is not None:  # the same values as claim() sets, without its UPDATE
        values |= {"claimed_at": now, "claimed_until": now + claim_for.lease, "attempts": 1}
        values["reply_unsettled"] = 1 if token else 0
    return values


def _claim(item_id: int, values: dict) -> Claim:
    return Claim(item_id, values["line_user_id"], values["reply_token"], values["reply_token_at"], values["messages"],
                 values["retry_key"], values["attempts"], values["reply_unsettled"])  # fmt: skip


def _line(user_id: int, message: dict, item_id, meta: dict, now: datetime) -> dict:
    return {"user_id": user_id, "direction": "out", "kind": message.get("type", "text"), "text": visible_text(message),
            "payload": message, "outbox_id": item_id, "intent": meta["intent"], "faq_id": meta["faq_id"],
            "created_at": now}  # fmt: skip


_ITEM_COLUMNS = ("user_id", "line_user_id", "reply_token", "reply_token_at", "messages", "retry_key", "status",
                 "attempts", "reply_unsettled", "created_at", "claimed_at", "claimed_until")  # fmt: skip
_TOGETHER: dict[tuple, Compiled] = {}  # (lines, updated tables and columns) -> the statement, built once


def _together(lines: int, updates: tuple = ()) -> Compiled:
    """PostgreSQL: one item, an incoming line and the item's `lines` transcript lines inserted by one statement (the
    item's INSERT in a WITH; the lines by one INSERT … SELECT, the incoming first, the others pointing at the item);
    its result is the item's id. (Not a multi-row VALUES: SQLAlchemy does not cache those, and compiling one costs
    about a ms.) `updates`: (table, columns) of each row UPDATE in the same statement. The reply's lines share the
    item's user, time and the reply's intent and FAQ entry: psycopg caches the parsing of a statement of at most
    50 parameters (and 4096 bytes) and parses a larger one again at every execution (about 0.3 ms of CPU)."""
    statement = _TOGETHER.get((lines, updates))
    if statement is None:
        shared = {c: bindparam(f"o_{c}", type_=_OUTBOX.c[c].type) for c in _ITEM_COLUMNS}
        item = insert(_OUTBOX).values(shared).returning(_OUTBOX.c.id).cte("new_item")
        incoming = select(*(_param(f"i_{c}", c) for c in _IN_COLUMNS), null(), null())
        meta = {"intent": _param("m_intent", "intent"), "faq_id": _param("m_faq_id", "faq_id")}
        same = {"user_id": shared["user_id"], "direction": literal_column("'out'"), "created_at": shared["created_at"]}
        same |= meta | {"line_message_id": null(), "webhook_event_id": null(), "confidence": null()}
        replies = []
        for k in range(lines):
            own = (same[c] if c in same else _param(f"l{k}_{c}", c) for c in _IN_COLUMNS)
            replies.append(select(*own, _param(f"l{k}_payload", "payload"), item.c.id))
        rows = union_all(incoming, *replies)
        written = insert(_MESSAGES).from_select([*_IN_COLUMNS, "payload", "outbox_id"], rows).cte("new_lines")
        changes = [
            update(table)
            .where(table.primary_key.columns[0] == bindparam(f"u{k}_row_id"))
            .values({c: bindparam(f"u{k}_{c}", type_=table.c[c].type) for c in columns})
            .cte(f"row_update_{k}")
            for k, (table, columns) in enumerate(updates)
        ]
        statement = _TOGETHER[lines, updates] = Compiled(select(item.c.id).add_cte(written, *changes))
    return statement


# The incoming line's columns (each its own parameter), then payload and outbox_id (NULL for it).
_IN_COLUMNS = ("user_id", "direction", "kind", "text", "line_message_id", "webhook_event_id", "intent", "confidence",
               "faq_id", "created_at")  # fmt: skip


def _param(name: str, column: str):
    """A transcript column's value as a typed parameter (psycopg's parameters carry a cast, but for floats: cast
    those, since a NULL in a SELECT has no type of its own)."""
    kind = _MESSAGES.c[column].type
    parameter = bindparam(name, type_=kind)
    return cast(parameter, kind) if isinstance(kind, Float) else parameter


def _enqueued_together(connection, now, user_id, line_user_id, messages, token, meta, claim_for, incoming, updates):
    values = _item(user_id, line_user_id, messages, token, now, claim_for)
    parameters = {f"o_{c}": values[c] for c in _ITEM_COLUMNS}
    parameters |= {f"i_{c}": incoming.get(c) for c in _IN_COLUMNS} | {"m_intent": meta["intent"]}
    parameters["m_faq_id"] = meta["faq_id"]
    for k, message in enumerate(messages):
        parameters |= {f"l{k}_kind": message.get("type", "text"), f"l{k}_text": visible_text(message)}
        parameters[f"l{k}_payload"] = message
    for k, change in enumerate(updates):
        parameters |= {f"u{k}_{c}": value for c, value in change.values.items()} | {f"u{k}_row_id": change.row_id}
    statement = _together(len(messages), tuple((u.table, tuple(u.values)) for u in updates))
    ((item_id,),) = statement.rows(connection, parameters)
    return _claim(item_id, values)
