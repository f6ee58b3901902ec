"""Delivery of stored outbox items: claim an item for one attempt, send it, record the outcome.

An item is `pending` until it is `sent` or `dead`. Each attempt first claims it with one conditional UPDATE
(pending, no live lease, backoff over) that sets a lease (`claimed_until`), so any number of processes may try
the same ids and exactly one sends; a process that dies mid-send leaves a lease that simply runs out. Items the
webhook enqueued already claimed are sent right after commit (`send_claimed`); if it dies first, the lease runs
out all the same. The reply token is used while it is fresh, otherwise a push with the item's stable
X-Line-Retry-Key (LINE answers a repeated key with 409, which the gateway takes as success). Retryable failures
(no answer, 429, 5xx) get an exponential backoff; other 4xx and too many attempts make the item dead, for an
admin to look at.

A reply whose outcome is unknown (timed out, cut off, or its process died) is counted in `reply_unsettled`.
If a later attempt finds the still-fresh token refused, that earlier attempt used it: the item counts as sent
and is not pushed a second time. A refused token without such an attempt, or a stale one, means a push.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.line.gateway import LineGateway, SendError
from bot.line.outbox_policy import RetryPolicy
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import OutboxItem

log = logging.getLogger(__name__)
REPLY_TOKEN_TTL = timedelta(seconds=50)  # LINE's tokens last about a minute; leave a margin
DEFAULT_POLICY = RetryPolicy()
USED_BY_EARLIER = "reply token refused after an attempt that got no answer: that attempt delivered it"
_OUTBOX = OutboxItem.__table__


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
