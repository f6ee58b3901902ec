"""One webhook event end to end inside one transaction: dedupe, lock, record, throttle, dispatch, enqueue."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import throttle
from bot.context import BotContext
from bot.conversation import lock_conversation
from bot.db import utcnow
from bot.dispatch import dispatch
from bot.inbound import Inbound
from bot.models import Conversation, InboundEvent, Message
from bot.outbox import enqueue
from bot.reply import Reply
from knowledge.store import one_version

log = logging.getLogger(__name__)
_INSERT_IGNORING_DUPLICATES = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass
class Outcome:
    """What handling one event produced: the reply (if any) and the outbox items to send."""

    reply: Reply | None = None
    outbox_ids: list[int] = field(default_factory=list)


def record_event(session: Session, inbound: Inbound) -> bool:
    """Insert the event id; False when it was processed before (a redelivery)."""
    dialect = session.get_bind().dialect.name
    if dialect in _INSERT_IGNORING_DUPLICATES:  # one statement instead of a savepoint around the insert
        values = {
            "webhook_event_id": inbound.webhook_event_id,
            "event_type": inbound.event_type,
            "line_user_id": inbound.user_id,
            "is_redelivery": inbound.is_redelivery,
        }
        insert = _INSERT_IGNORING_DUPLICATES[dialect](InboundEvent).values(values)
        inserted = insert.on_conflict_do_nothing(index_elements=["webhook_event_id"]).returning(InboundEvent.id)
        if session.execute(inserted).scalar() is not None:
            return True
        log.info("event %s already processed; skipped", inbound.webhook_event_id)
        return False
    try:
        with session.begin_nested():
            session.add(
                InboundEvent(
                    webhook_event_id=inbound.webhook_event_id,
                    event_type=inbound.event_type,
                    line_user_id=inbound.user_id,
                    is_redelivery=inbound.is_redelivery,
                )
            )
            session.flush()
    except IntegrityError:
        log.info("event %s already processed; skipped", inbound.webhook_event_id)
        return False
    return True


def record_incoming(session: Session, conversation: Conversation, inbound: Inbound) -> Message:
    """The resident's transcript line for this event (and its reply token), in the caller's transaction."""
    if inbound.reply_token:
        conversation.last_reply_token, conversation.last_reply_token_at = inbound.reply_token, utcnow()
    incoming = Message(
        user_id=conversation.user_id,
        direction="in",
        kind=inbound.message_type or inbound.kind,
        text=inbound.text if inbound.kind == "text" else inbound.data,
        line_message_id=inbound.message_id,
        webhook_event_id=inbound.webhook_event_id,
    )
    session.add(incoming)
    return incoming


def process_inbound(session: Session, ctx: BotContext, inbound: Inbound) -> Outcome:
    """Handle one event; the outcome's outbox ids are sent after the transaction commits."""
    if not record_event(session, inbound):
        return Outcome()
    if inbound.source_type != "user" or not inbound.user_id:
        log.info("%s event from a %s ignored (the account talks one to one)", inbound.event_type, inbound.source_type)
        return Outcome()
    conversation = lock_conversation(session, inbound.user_id)
    user = conversation.user
    if inbound.kind == "follow":
        user.followed_at, user.unfollowed_at = utcnow(), None
    elif inbound.kind == "unfollow":
        user.unfollowed_at = utcnow()
    incoming = record_incoming(session, conversation, inbound)
    if inbound.standby:
        return Outcome()
    reply = throttle.check(session, conversation, inbound)
    if reply is not None:  # flooding: recorded, but answered at most once per window
        meta = {"intent": reply.intent}
        items = enqueue(session, user.id, user.line_user_id, reply.messages, inbound.reply_token, meta)
        return Outcome(reply, [item.id for item in items])
    with one_version():  # one content-version query and no repeated search per event
        reply = dispatch(ctx, session, conversation, inbound)
    if reply is not None and inbound.kind in ("text", "postback"):
        conversation.misunderstood_count = 0 if reply.understood else conversation.misunderstood_count + 1
    if reply is None or not reply.messages:
        return Outcome(reply)
    incoming.intent, incoming.confidence, incoming.faq_id = reply.intent, reply.confidence, reply.faq_id
    meta = {"intent": reply.intent, "faq_id": reply.faq_id}
    items = enqueue(session, user.id, user.line_user_id, reply.messages, inbound.reply_token, meta)
    return Outcome(reply, [item.id for item in items])
