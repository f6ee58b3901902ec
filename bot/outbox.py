"""The outbox: messages are stored with the state change that caused them, then sent by the gateway."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import unit_of_work, utcnow
from bot.line_gateway import LineGateway, SendError
from bot.messages import MAX_MESSAGES, visible_text
from bot.models import Message, OutboxItem

log = logging.getLogger(__name__)
REPLY_TOKEN_TTL = timedelta(seconds=50)  # LINE's tokens last about a minute; leave a margin
CLAIM_TIMEOUT = timedelta(minutes=2)
MAX_ATTEMPTS = 5


def enqueue(
    session: Session,
    user_id: int,
    line_user_id: str,
    messages: list[dict],
    reply_token: str | None = None,
    meta: dict | None = None,
) -> list[OutboxItem]:
    """Store messages for sending (≤ 5 per API call) and their transcript lines; flush, never commit."""
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
        session.add(item)
        session.flush()
        for message in batch:
            session.add(
                Message(
                    user_id=user_id,
                    direction="out",
                    kind=message.get("type", "text"),
                    text=visible_text(message),
                    payload=message,
                    outbox_id=item.id,
                    **(meta or {}),
                )
            )
        items.append(item)
    session.flush()
    return items


def claim(session: Session, item_id: int) -> OutboxItem | None:
    """Mark one pending item as being sent by this process; None if someone else has it."""
    now = utcnow()
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id)
        .where(
            (OutboxItem.status == "pending")
            | ((OutboxItem.status == "sending") & (OutboxItem.claimed_at < now - CLAIM_TIMEOUT))
        )
        .values(status="sending", claimed_at=now, attempts=OutboxItem.attempts + 1)
    )
    if result.rowcount != 1:
        return None
    return session.get(OutboxItem, item_id, populate_existing=True)


def deliver(factory: sessionmaker[Session], gateway: LineGateway, item_ids: list[int]) -> None:
    """Send claimed items: reply token while valid, else push with the item's stable retry key."""
    for item_id in item_ids:
        with unit_of_work(factory) as session:
            item = claim(session, item_id)
        if item is None:
            continue
        via, error = _send(gateway, item)
        with unit_of_work(factory) as session:
            row = session.get(OutboxItem, item_id)
            if error is None:
                row.status, row.via, row.sent_at, row.last_error = "sent", via, utcnow(), None
            else:
                row.last_error = error
                row.status = "dead" if row.attempts >= MAX_ATTEMPTS else "pending"
                log.warning("outbox item %s not sent (attempt %s): %s", item_id, row.attempts, error)


def _send(gateway: LineGateway, item: OutboxItem) -> tuple[str | None, str | None]:
    token_fresh = item.reply_token and item.reply_token_at and utcnow() - item.reply_token_at < REPLY_TOKEN_TTL
    if token_fresh:
        try:
            gateway.reply(item.reply_token, item.messages)
            return "reply", None
        except SendError as exc:
            if not exc.invalid_reply_token:
                return None, str(exc)
            if item.attempts > 1:
                # A fresh token rejected on a retry was used by the earlier attempt, whose answer was lost.
                return "reply", None
            log.info("reply token rejected for outbox item %s; pushing instead", item.id)
    try:
        gateway.push(item.line_user_id, item.messages, item.retry_key)
        return "push", None
    except SendError as exc:
        if exc.status == 409:  # LINE already accepted this retry key
            return "push", None
        return None, str(exc)


def pending_ids(session: Session, older_than: timedelta = timedelta(seconds=10)) -> list[int]:
    """Items still waiting (e.g. after a crash between commit and send), oldest first."""
    cutoff = utcnow() - older_than
    return list(
        session.scalars(
            select(OutboxItem.id)
            .where(OutboxItem.status.in_(("pending", "sending")))
            .where(OutboxItem.created_at < cutoff)
            .order_by(OutboxItem.id)
            .limit(100)
        )
    )
