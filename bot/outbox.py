"""The outbox: messages are stored with the state change that caused them, then sent by the gateway.

An item is `pending` until it is `sent` or `dead`. Each attempt first claims it with one conditional UPDATE
(pending, no live lease, backoff over) that sets a lease (`claimed_until`), so any number of processes may try
the same ids and exactly one sends; a process that dies mid-send leaves a lease that simply runs out. The
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
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import unit_of_work, utcnow
from bot.line_gateway import LineGateway, SendError
from bot.messages import MAX_MESSAGES, visible_text
from bot.models import Message, OutboxItem
from bot.outbox_policy import RetryPolicy

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


def _due(now: datetime):
    """Pending, nobody's lease running, backoff over (the claim and the sweeper agree on this)."""
    return (
        OutboxItem.status == "pending",
        or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now),
        or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now),
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
    """One attempt for each due item; returns (id, when) of the items to try again (failed or deferred)."""
    policy = policy or DEFAULT_POLICY
    later: list[tuple[int, datetime]] = []
    for item_id in item_ids:
        paused = gateway.paused_for() if hasattr(gateway, "paused_for") else 0.0
        if paused > policy.max_inline_pause_seconds:  # LINE said 429 with a long Retry-After: do not queue up
            later.append((item_id, utcnow() + timedelta(seconds=paused)))
            continue
        with unit_of_work(factory) as session:
            item = claim(session, item_id, policy)
        if item is None:
            continue
        attempt = _send(gateway, item)
        with unit_of_work(factory) as session:
            when = _record(session, item, attempt, policy)
        if when is not None:
            later.append((item_id, when))
    return later


def _fresh(item: OutboxItem) -> bool:
    return bool(item.reply_token and item.reply_token_at and utcnow() - item.reply_token_at < REPLY_TOKEN_TTL)


def _send(gateway: LineGateway, item: OutboxItem) -> Attempt:
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


def _record(session: Session, item: OutboxItem, attempt: Attempt, policy: RetryPolicy) -> datetime | None:
    """Store the attempt's outcome; returns when to try again, if at all."""
    now = utcnow()
    values: dict = {"claimed_until": None}
    if item.reply_token is not None and attempt.reply_settled:
        values["reply_unsettled"] = OutboxItem.reply_unsettled - 1
    mine = (OutboxItem.id == item.id, OutboxItem.status == "pending")
    if attempt.error is None:
        values.update(status="sent", via=attempt.via, sent_at=now, last_error=attempt.note, next_attempt_at=None)
        session.execute(update(OutboxItem).where(*mine).values(values))
        return None
    exc, retry_at = attempt.error, None
    values["last_error"] = str(exc)[:2000]
    if exc.retryable and item.attempts < policy.max_attempts:
        retry_at = now + policy.delay(item.attempts, exc.retry_after)
        values["next_attempt_at"] = retry_at
        log.warning("outbox item %s not sent (attempt %s, retry at %s): %s", item.id, item.attempts, retry_at, exc)
    else:
        values["status"] = "dead"
        log.error("outbox item %s is dead after %s attempts: %s", item.id, item.attempts, exc)
    # Only the holder of this claim records a failure (a later claim has a higher attempt count).
    session.execute(update(OutboxItem).where(*mine, OutboxItem.attempts == item.attempts).values(values))
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
