"""One webhook event end to end inside one transaction: dedupe, lock, record, throttle, dispatch, enqueue.

The per-event rows (the event id, the transcript lines, the outbox items) are written with SQLAlchemy Core
statements built once, on the session's connection and so in its transaction; the dialogue keeps the ORM (the
conversation and user rows it changes are written by `write_changes`, one Core UPDATE each). The incoming transcript
line is written once, with what the reply made of it, unless the dialogue's own statements need it earlier.
On PostgreSQL an answered event takes two statements: the event id with the conversation lock (or, on first contact,
the new user and conversation), then the incoming line, the outbox item, its lines and the conversation's changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import bindparam, event, insert, inspect, update
from sqlalchemy.orm import Session

from bot.dialogue import throttle
from bot.dialogue.dispatch import dispatch
from bot.dialogue.misses import REPHRASE_WINDOW
from bot.dialogue.reply import Reply
from bot.dialogue.texts import t
from bot.line import messages as m
from bot.line.delivery import Claim
from bot.line.inbound import Inbound
from bot.line.outbox import RowUpdate, enqueue_claims, writes_together
from bot.line.outbox_policy import RetryPolicy
from bot.platform.context import BotContext
from bot.platform.conversation import lock_conversation, record_and_lock
from bot.platform.db import insert_new, unit_of_work, utcnow
from bot.platform.models import Conversation, InboundEvent, Message
from bot.platform.services import Services
from knowledge.store import one_version

log = logging.getLogger(__name__)
_LINES = Message.__table__
_INSERT_INCOMING = insert(_LINES).returning(_LINES.c.id)
_LABEL_INCOMING = (
    update(_LINES)
    .where(_LINES.c.id == bindparam("line_id"))
    .values(intent=bindparam("set_intent"), confidence=bindparam("set_confidence"), faq_id=bindparam("set_faq_id"))
)


@dataclass
class Outcome:
    """What handling one event produced: the reply (if any) and the outbox items to send (claimed, when the
    caller asked for that)."""

    reply: Reply | None = None
    items: list[Claim] = field(default_factory=list)

    def claims(self) -> list[Claim]:
        """The items' claims, for sending after commit (only valid when they were created claimed)."""
        return list(self.items)


def record_event(session: Session, inbound: Inbound) -> bool:
    """Insert the event id; False when it was processed before (a redelivery)."""
    if insert_new(session, InboundEvent, "webhook_event_id", _event_values(inbound)) is not None:
        return True
    log.info("event %s already processed; skipped", inbound.webhook_event_id)
    return False


def _event_values(inbound: Inbound) -> dict:
    return {
        "webhook_event_id": inbound.webhook_event_id,
        "event_type": inbound.event_type,
        "line_user_id": inbound.user_id,
        "is_redelivery": inbound.is_redelivery,
    }


def recorded_and_locked(session: Session, inbound: Inbound) -> Conversation | None:
    """Record the event id and lock (or, on first contact, create) the resident's conversation; None when the event
    was processed before or is not a resident's. On PostgreSQL one statement does both (one round trip fewer per
    event, two on first contact); on SQLite `record_event` then `lock_conversation`."""
    resident = inbound.source_type == "user" and bool(inbound.user_id)
    if resident and session.get_bind().dialect.name == "postgresql":
        since = utcnow() - REPHRASE_WINDOW if inbound.kind == "text" else None  # text: the rephrase check's read
        conversation = record_and_lock(session, _event_values(inbound), inbound.user_id, since)
        if conversation is None:
            log.info("event %s already processed; skipped", inbound.webhook_event_id)
        return conversation
    if not record_event(session, inbound):
        return None
    if not resident:
        log.info("%s event from a %s ignored (the account talks one to one)", inbound.event_type, inbound.source_type)
        return None
    return lock_conversation(session, inbound.user_id)


def record_incoming(session: Session, conversation: Conversation, inbound: Inbound) -> int:
    """The resident's transcript line for this event (and its reply token), in the caller's transaction; its id.
    The throttle counts it on the conversation row."""
    values = _incoming(session, conversation, inbound)
    return session.connection().execute(_INSERT_INCOMING, values).scalar_one()


def _incoming(session: Session, conversation: Conversation, inbound: Inbound) -> dict:
    """The incoming transcript line's values, unlabelled; keeps the reply token and counts the line for the throttle."""
    now = utcnow()
    if inbound.reply_token:
        conversation.last_reply_token, conversation.last_reply_token_at = inbound.reply_token, now
    kind = inbound.message_type or inbound.kind
    throttle.note(session, conversation, kind, now)
    return {
        "user_id": conversation.user_id,
        "direction": "in",
        "kind": kind,
        "text": inbound.text if inbound.kind == "text" else inbound.data,
        "line_message_id": inbound.message_id,
        "webhook_event_id": inbound.webhook_event_id,
        "created_at": now,
        "intent": None,
        "confidence": None,
        "faq_id": None,
    }


# The incoming line of the event being dispatched is written with what the reply made of it (one INSERT, no UPDATE
# after): until then its values wait in session.info, and any ORM statement or flush the dialogue makes first (it
# may read the transcript, e.g. a hand-off's summary) writes it before it runs, unlabelled, to be labelled after.
_PENDING, _WRITTEN = "madoguchi.incoming_line", "madoguchi.incoming_line_id"
_INSERT_LABELLED = insert(_LINES)


def _write_pending(session: Session) -> None:
    values = session.info.pop(_PENDING, None)
    if values is not None:
        session.info[_WRITTEN] = session.connection().execute(_INSERT_INCOMING, values).scalar_one()


@event.listens_for(Session, "do_orm_execute")
def _before_orm_statement(state) -> None:
    if _PENDING in state.session.info:
        _write_pending(state.session)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    if _PENDING in session.info:
        _write_pending(session)


def _dispatch_recorded(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound):
    """Dispatch the event, its incoming line recorded (labelled by the reply when it has messages, as
    `label_incoming` does). Returns the reply and, when the reply has messages and the line is not written yet,
    its values, for the caller to write with the reply's outbox item (`enqueue_claims`)."""
    session.info[_PENDING] = _incoming(session, conversation, inbound)
    try:
        reply = dispatch(ctx, session, conversation, inbound)
    finally:
        values, written = session.info.pop(_PENDING, None), session.info.pop(_WRITTEN, None)
    labelled = reply is not None and bool(reply.messages)
    if values is not None:
        if labelled:
            return reply, values | {"intent": reply.intent, "confidence": reply.confidence, "faq_id": reply.faq_id}
        session.connection().execute(_INSERT_LABELLED, values)
    elif labelled:  # written during dispatch, unlabelled
        label_incoming(session, written, reply)
    return reply, None


def label_incoming(session: Session, line_id: int, reply: Reply) -> None:
    """Store the reply's intent, confidence and FAQ entry on the incoming transcript line (when it has any)."""
    if reply.intent is None and reply.confidence is None and reply.faq_id is None:
        return
    values = {"line_id": line_id, "set_intent": reply.intent, "set_confidence": reply.confidence}
    session.connection().execute(_LABEL_INCOMING, values | {"set_faq_id": reply.faq_id})


def process_inbound(
    session: Session, ctx: BotContext, inbound: Inbound, claim_for: RetryPolicy | None = None
) -> Outcome:
    """Handle one event; the outcome's outbox items (claimed with `claim_for`) are sent after commit."""
    conversation = recorded_and_locked(session, inbound)
    if conversation is None:
        return Outcome()
    outcome = _handle(session, ctx, conversation, inbound, claim_for)
    write_changes(session, conversation, conversation.user)
    return outcome


def _handle(
    session: Session, ctx: BotContext, conversation: Conversation, inbound: Inbound, claim_for: RetryPolicy | None
) -> Outcome:
    user = conversation.user
    if inbound.kind == "follow":
        user.followed_at, user.unfollowed_at = utcnow(), None
    elif inbound.kind == "unfollow":
        user.unfollowed_at = utcnow()
    if inbound.standby:  # another channel answers: only the transcript
        record_incoming(session, conversation, inbound)
        return Outcome()
    # Reads first, writes after: the writes then reach the database together at the end (fewer statements).
    reply = throttle.check(session, conversation, inbound)
    if reply is not None:  # flooding: recorded, but answered at most once per window
        record_incoming(session, conversation, inbound)
        meta = {"intent": reply.intent}
        claims = enqueue_claims(
            session, user.id, user.line_user_id, reply.messages, inbound.reply_token, meta, claim_for
        )
        return Outcome(reply, claims)
    with one_version():  # one content-version query and no repeated search per event
        if inbound.kind == "text" and ctx.knowledge is not None:
            ctx.knowledge.get(session)  # text is always looked up
        reply, incoming = _dispatch_recorded(ctx, session, conversation, inbound)
    if reply is not None and inbound.kind in ("text", "postback"):
        conversation.misunderstood_count = 0 if reply.understood else conversation.misunderstood_count + 1
    if reply is None or not reply.messages:
        return Outcome(reply)
    meta = {"intent": reply.intent, "faq_id": reply.faq_id}
    token = inbound.reply_token
    # The event is done with its conversation and user: where the reply's rows go in one statement, their changes
    # go in it too (else process_inbound writes them).
    together = writes_together(session, reply.messages, incoming)
    updates = _changes_to_write(session, conversation, user) if together else ()
    claims = enqueue_claims(
        session, user.id, user.line_user_id, reply.messages, token, meta, claim_for, incoming, updates
    )
    return Outcome(reply, claims)


_UPDATES: dict[tuple, object] = {}  # (table, changed columns) -> its UPDATE, built once


def write_changes(session: Session, *rows) -> None:
    """Write what this event changed on `rows` (its conversation and user) with one Core UPDATE each, of the changed
    columns, and take them out of the session, so that the commit runs no unit of work for them (about half a ms per
    event); a column's `onupdate` (updated_at) applies as in a flush. Call when the event is done with them."""
    for row in rows:
        state = inspect(row)
        if not state.modified or state.session_id != session.hash_key or row in session.deleted:
            continue  # unchanged, not this session's, or to be deleted: left to the unit of work
        values = _changed(state)
        if values:
            table, key = state.mapper.local_table, state.mapper.primary_key[0]
            statement = _UPDATES.get((table, *values))
            if statement is None:
                changes = {name: bindparam(f"set_{name}") for name in values}
                statement = _UPDATES[(table, *values)] = update(table).where(key == bindparam("row_id")).values(changes)
            parameters = {f"set_{name}": value for name, value in values.items()}
            session.connection().execute(statement, parameters | {"row_id": state.identity[0]})
        session.expunge(row)


def _changed(state) -> dict:
    """The changed columns' new values, by column name."""
    values, unmodified = {}, state.unmodified
    for attr in state.mapper.column_attrs:
        if attr.key in unmodified:  # (cheaper than asking each attribute for its history)
            continue
        added = state.attrs[attr.key].history.added
        if added:
            values[attr.columns[0].name] = added[0]
    return values


def _changes_to_write(session: Session, *rows) -> list[RowUpdate]:
    """What `write_changes` would write, for the caller to write in a statement of its own (each changed row with
    its `onupdate` columns given), and the rows taken out of the session as `write_changes` does."""
    updates = []
    for row in rows:
        state = inspect(row)
        if not state.modified or state.session_id != session.hash_key or row in session.deleted:
            continue
        values = _changed(state)
        if values:
            table = state.mapper.local_table
            for column in table.c:
                stamp = column.onupdate
                if stamp is not None and column.name not in values and (stamp.is_callable or stamp.is_scalar):
                    values[column.name] = stamp.arg(None) if stamp.is_callable else stamp.arg
            updates.append(RowUpdate(table, state.identity[0], values))
        session.expunge(row)
    return updates


def handle_event(svc: Services, inbound: Inbound) -> list[Claim]:
    """Process one event in its own transaction; its replies are created claimed, for this process to send."""
    try:
        with unit_of_work(svc.session_factory) as session:
            outcome = process_inbound(session, svc.context, inbound, claim_for=svc.outbox_policy)
        return outcome.claims()
    except Exception:
        log.exception("event %s failed; apologising", inbound.webhook_event_id)
    return _apologise(svc, inbound)


def _apologise(svc: Services, inbound: Inbound) -> list[Claim]:
    if inbound.kind in ("unfollow", "other") or not inbound.user_id or inbound.source_type != "user":
        return []
    try:
        with unit_of_work(svc.session_factory) as session:
            if not record_event(session, inbound):
                return []
            conversation = lock_conversation(session, inbound.user_id)
            record_incoming(session, conversation, inbound)  # the resident's message is kept even so
            user = conversation.user
            chips = [m.Choice(t("label.human"), data={"a": "human"}), m.Choice(t("label.menu"), data={"a": "menu"})]
            sorry = [] if inbound.standby else [m.text(t("error.sorry"), chips)]  # standby: another channel answers
            token, policy = inbound.reply_token, svc.outbox_policy
            claims = enqueue_claims(session, user.id, user.line_user_id, sorry, token, claim_for=policy)
        return claims
    except Exception:
        log.exception("could not record the failed event %s", inbound.webhook_event_id)
        return []
