"""The outbox: messages are stored with the state change that caused them, then sent by the gateway.

An item is `pending` until it is `sent` or `dead`. Each attempt first claims it with one conditional UPDATE
(pending, no live lease, backoff over) that sets a lease (`claimed_until`), so any number of processes may try
the same ids and exactly one sends; a process that dies mid-send leaves a lease that simply runs out. The
webhook saves that UPDATE: its items are inserted already claimed for their first attempt (`claim_for`), and
it sends them itself right after commit (`send_claimed`); if it dies first, the lease runs out all the same. The
reply token is used while it is fresh, otherwise a push with the item's stable X-Line-Retry-Key (LINE answers
a repeated key with 409, which the gateway takes as success). Retryable failures (no answer, 429, 5xx) get
an exponential backoff; other 4xx and too many attempts make the item dead, for an admin to look at.

A reply whose outcome is unknown (timed out, cut off, or its process died) is counted in `reply_unsettled`.
If a later attempt finds the still-fresh token refused, that earlier attempt used it: the item counts as sent
and is not pushed a second time. A refused token without such an attempt, or a stale one, means a push.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, Table, bindparam, case, cast, insert, literal_column, null, or_, select, union_all, update
from sqlalchemy.orm import Session, sessionmaker

from bot.line.gateway import LineGateway, SendError
from bot.line.messages import MAX_MESSAGES, visible_text
from bot.line.outbox_policy import RetryPolicy
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import Message, OutboxItem

log = logging.getLogger(__name__)
REPLY_TOKEN_TTL = timedelta(seconds=50)  # LINE's tokens last about a minute; leave a margin
DEFAULT_POLICY = RetryPolicy()
USED_BY_EARLIER = "reply token refused after an attempt that got no answer: that attempt delivered it"


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
_TOGETHER: dict[tuple, object] = {}  # (lines, updated tables and columns) -> the statement, built once


def _together(lines: int, updates: tuple = ()):
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
        statement = _TOGETHER[lines, updates] = select(item.c.id).add_cte(written, *changes)
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
    return _claim(connection.execute(statement, parameters).scalar_one(), values)


def _due(now: datetime):
    """Pending, nobody's lease running, backoff over (the claim and the sweeper agree on this)."""
    return (
        OutboxItem.status == "pending",
        or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now),
        or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now),
    )


@dataclass(frozen=True)
class Claim:
    """An item claimed for one attempt: what sending it and recording the outcome need (safe across threads)."""

    id: int
    line_user_id: str
    reply_token: str | None
    reply_token_at: datetime | None
    messages: list[dict]
    retry_key: str
    attempts: int
    reply_unsettled: int

    @classmethod
    def of(cls, item: OutboxItem) -> Claim:
        """The claim held on `item` (just claimed, or created claimed and committed)."""
        return cls(
            item.id,
            item.line_user_id,
            item.reply_token,
            item.reply_token_at,
            item.messages,
            item.retry_key,
            item.attempts,
            item.reply_unsettled,
        )


def claim(session: Session, item_id: int, policy: RetryPolicy = DEFAULT_POLICY) -> OutboxItem | None:
    """Take one due item for one attempt (a lease); None when it is not due or another process has it."""
    now = utcnow()
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, *_due(now))
        .values(
            claimed_at=now,
            claimed_until=now + policy.lease,
            attempts=OutboxItem.attempts + 1,
            reply_unsettled=OutboxItem.reply_unsettled + case((OutboxItem.reply_token.is_not(None), 1), else_=0),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(OutboxItem, item_id, populate_existing=True)


@dataclass
class Attempt:
    """What one attempt did: sent `via`, or failed with `error`; whether its reply outcome is known."""

    via: str | None = None
    error: SendError | None = None
    note: str | None = None
    reply_settled: bool = True


def deliver(
    factory: sessionmaker[Session], gateway: LineGateway, item_ids: list[int], policy: RetryPolicy | None = None
) -> list[tuple[int, datetime]]:
    """Claim each due item and make one attempt; returns (id, when) of the items to try again (failed or deferred)."""
    policy = policy or DEFAULT_POLICY
    later: list[tuple[int, datetime]] = []
    for item_id in item_ids:
        paused = _paused(gateway)
        if paused > policy.max_inline_pause_seconds:  # LINE said 429 with a long Retry-After: do not queue up
            later.append((item_id, utcnow() + timedelta(seconds=paused)))
            continue
        with unit_of_work(factory) as session:
            item = claim(session, item_id, policy)
        if item is not None:
            later += send_claimed(factory, gateway, [Claim.of(item)], policy)
    return later


def send_claimed(
    factory: sessionmaker[Session], gateway: LineGateway, claims: list[Claim], policy: RetryPolicy | None = None
) -> list[tuple[int, datetime]]:
    """One attempt for each claimed item, outcomes stored in one transaction; returns the items to try again."""
    return record(factory, [(c, attempt(gateway, c, policy or DEFAULT_POLICY)) for c in claims], policy)


def _paused(gateway: LineGateway) -> float:
    return gateway.paused_for() if hasattr(gateway, "paused_for") else 0.0


def _fresh(item: Claim) -> bool:
    return bool(item.reply_token and item.reply_token_at and utcnow() - item.reply_token_at < REPLY_TOKEN_TTL)


def attempt(gateway: LineGateway, item: Claim, policy: RetryPolicy = DEFAULT_POLICY) -> Attempt:
    """Send a claimed item once: its reply token while fresh, otherwise (or when refused unused) a push."""
    paused = _paused(gateway)
    if paused > policy.max_inline_pause_seconds:  # a claimed item waits out a long 429 pause as a failed attempt
        return Attempt(error=SendError(429, "waiting out LINE's rate-limit pause", retry_after=paused))
    earlier_unknown = item.reply_token is not None and item.reply_unsettled > 1  # this attempt counts one
    if _fresh(item):
        try:
            gateway.reply(item.reply_token, item.messages)
            return Attempt("reply")
        except SendError as exc:
            if not exc.invalid_reply_token:
                return Attempt(error=exc, reply_settled=not exc.uncertain)
            if earlier_unknown:
                log.warning("outbox item %s: %s", item.id, USED_BY_EARLIER)
                return Attempt("reply", note=USED_BY_EARLIER)
            log.info("reply token rejected for outbox item %s; pushing instead", item.id)
    elif earlier_unknown:
        log.warning("outbox item %s: an earlier reply got no answer and the token is stale; pushing", item.id)
    try:
        gateway.push(item.line_user_id, item.messages, item.retry_key)
        return Attempt("push")
    except SendError as exc:
        return Attempt(error=exc)


def record(
    factory: sessionmaker[Session], outcomes: list[tuple[Claim, Attempt]], policy: RetryPolicy | None = None
) -> list[tuple[int, datetime]]:
    """Store the outcomes of attempts in one transaction; returns (id, when) of the items to try again."""
    if not outcomes:
        return []
    policy = policy or DEFAULT_POLICY
    with unit_of_work(factory) as session:
        now, later = utcnow(), []
        sent = [(c, a) for c, a in outcomes if a.error is None]
        for (via, note, settle), group in _grouped(sent).items():  # usually one UPDATE for a whole batch
            values = {"ids": [c.id for c in group], "set_via": via, "set_sent_at": now, "set_last_error": note}
            session.connection().execute(_MARK_SENT[settle], values)
        for item, failed in outcomes:
            if failed.error is not None:
                when = _record_failure(session, item, failed, policy, now)
                if when is not None:
                    later.append((item.id, when))
    return later


def _mark_sent(settle: bool):
    """UPDATE the pending items among `ids` to sent (lease and backoff over), settling a reply attempt or not."""
    values = {
        "status": "sent",
        "via": bindparam("set_via"),
        "sent_at": bindparam("set_sent_at"),
        "last_error": bindparam("set_last_error"),
        "claimed_until": None,
        "next_attempt_at": None,
    }
    if settle:
        values["reply_unsettled"] = _OUTBOX.c.reply_unsettled - 1
    mine = (_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.status == "pending")
    return update(_OUTBOX).where(*mine).values(values)


_MARK_SENT = {settle: _mark_sent(settle) for settle in (False, True)}  # built once


def _settles(item: Claim, attempt: Attempt) -> bool:
    return item.reply_token is not None and attempt.reply_settled


def _grouped(sent: list[tuple[Claim, Attempt]]) -> dict[tuple, list[Claim]]:
    groups: dict[tuple, list[Claim]] = {}
    for item, done in sent:
        groups.setdefault((done.via, done.note, _settles(item, done)), []).append(item)
    return groups


def _record_failure(session: Session, item: Claim, failed: Attempt, policy: RetryPolicy, now: datetime):
    """Store a failed attempt: a backoff, or dead; returns when to try again, if at all."""
    exc, retry_at = failed.error, None
    values: dict = {"claimed_until": None, "last_error": str(exc)[:2000]}
    if _settles(item, failed):
        values["reply_unsettled"] = OutboxItem.reply_unsettled - 1
    if exc.retryable and item.attempts < policy.max_attempts:
        retry_at = now + policy.delay(item.attempts, exc.retry_after)
        values["next_attempt_at"] = retry_at
        log.warning("outbox item %s not sent (attempt %s, retry at %s): %s", item.id, item.attempts, retry_at, exc)
    else:
        values["status"] = "dead"
        log.error("outbox item %s is dead after %s attempts: %s", item.id, item.attempts, exc)
    # Only the holder of this claim records a failure (a later claim has a higher attempt count).
    mine = (OutboxItem.id == item.id, OutboxItem.status == "pending", OutboxItem.attempts == item.attempts)
    session.execute(update(OutboxItem).where(*mine).values(values))
    return retry_at


def pending_ids(session: Session, policy: RetryPolicy | None = None, limit: int = 100) -> list[int]:
    """Items the sweeper should try now: due retries, leases run out (a process died mid-send), and items
    never tried within the grace period (a process died between commit and send); oldest first."""
    policy, now = policy or DEFAULT_POLICY, utcnow()
    never_tried_before = now - timedelta(seconds=policy.sweep_grace_seconds)
    query = (
        select(OutboxItem.id)
        .where(*_due(now))
        .where(or_(OutboxItem.attempts > 0, OutboxItem.created_at <= never_tried_before))
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def revive(session: Session, item_id: int) -> bool:
    """Make a dead item pending again with a fresh attempt count (same retry key); False if it is not dead."""
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=None, claimed_until=None, reply_unsettled=0)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
