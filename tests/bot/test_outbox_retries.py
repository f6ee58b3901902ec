"""The outbox's retry rules with a scripted LINE: claims, backoff, Retry-After, dead letters, revival, and
claims racing across threads on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from bot.line.delivery import Claim, claim, deliver, pending_ids, revive, send_claimed
from bot.line.gateway import LineGateway, SendError, _retry_after
from bot.line.outbox import enqueue
from bot.line.outbox_policy import RetryPolicy
from bot.line.sender import Sender
from bot.platform.db import make_engine, make_session_factory, set_clock, unit_of_work, utcnow
from bot.platform.models import LineUser, OutboxItem
from tests.conftest import free_port
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401 (fixtures for the PostgreSQL variant)

POLICY = RetryPolicy(max_attempts=3, backoff_seconds=0.2, backoff_max_seconds=1, claim_seconds=2, sweep_grace_seconds=0)
TEXT = [{"type": "text", "text": "こんにちは"}]


class ScriptedGateway:
    """Answers each call with the next scripted outcome (None: success, or a SendError to raise)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls: list[tuple[str, str]] = []
        self.paused = 0.0

    def _next(self, kind: str, key: str) -> None:
        self.calls.append((kind, key))
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome

    def reply(self, token, messages):
        self._next("reply", token)

    def push(self, to, messages, retry_key):
        self._next("push", retry_key)

    def paused_for(self) -> float:
        return self.paused


@pytest.fixture
def factory(db_url):
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def queue(factory, token: str | None = None) -> int:
    with unit_of_work(factory) as session:
        user = session.scalar(select(LineUser).where(LineUser.line_user_id == "U" + "a" * 32))
        if user is None:
            user = LineUser(line_user_id="U" + "a" * 32)
            session.add(user)
            session.flush()
        return enqueue(session, user.id, user.line_user_id, TEXT, token)[0].id


def row(factory, item_id: int) -> OutboxItem:
    with factory() as session:
        return session.get(OutboxItem, item_id)


def test_a_5xx_is_retried_after_a_backoff_and_only_once_due(factory):
    item_id = queue(factory)
    gateway = ScriptedGateway(SendError(500, "boom", uncertain=True))
    start = utcnow()
    later = deliver(factory, gateway, [item_id], POLICY)
    end = utcnow()
    failed = row(factory, item_id)
    assert failed.status == "pending" and failed.attempts == 1 and failed.claimed_until is None
    assert later == [(item_id, failed.next_attempt_at)]
    # 0.2 s ± 20 % from when the failure was stored (some moment of the attempt: a loaded machine may stall it)
    assert failed.next_attempt_at - start > timedelta(seconds=0.15) and failed.next_attempt_at - end < timedelta(
        seconds=0.3
    )
    deliver(factory, gateway, [item_id], POLICY)  # not due yet: nothing happens
    with factory() as session:
        assert pending_ids(session, POLICY) == []
    time.sleep(0.3)
    with factory() as session:
        assert pending_ids(session, POLICY) == [item_id]
    deliver(factory, gateway, [item_id], POLICY)
    sent = row(factory, item_id)
    assert sent.status == "sent" and sent.via == "push" and sent.attempts == 2
    assert [kind for kind, _ in gateway.calls] == ["push", "push"]
    assert len({key for _, key in gateway.calls}) == 1  # the same X-Line-Retry-Key both times


def test_retry_after_is_honoured(factory):
    item_id = queue(factory)
    deliver(factory, ScriptedGateway(SendError(429, "Too Many Requests", retry_after=30)), [item_id], POLICY)
    failed = row(factory, item_id)
    assert failed.next_attempt_at - failed.claimed_at >= timedelta(seconds=30)


@pytest.mark.parametrize(
    "error",
    [
        SendError(400, "The request body has 1 error(s)"),
        SendError(403, "Forbidden"),
        SendError(429, "You have reached your monthly limit."),
    ],
    ids=["400", "403", "monthly limit"],
)
def test_refusals_that_retrying_cannot_fix_are_dead_at_once(factory, error):
    item_id = queue(factory)
    assert deliver(factory, ScriptedGateway(error), [item_id], POLICY) == []
    dead = row(factory, item_id)
    assert dead.status == "dead" and dead.attempts == 1 and dead.last_error == str(error)


def test_too_many_attempts_make_an_item_dead_and_revive_starts_over(factory):
    item_id = queue(factory)
    gateway = ScriptedGateway(*[SendError(None, "ReadTimeoutError", uncertain=True)] * 3)
    for _ in range(3):
        with unit_of_work(factory) as session:
            session.execute(update(OutboxItem).values(next_attempt_at=None))
        deliver(factory, gateway, [item_id], POLICY)
    dead = row(factory, item_id)
    assert dead.status == "dead" and dead.attempts == 3
    with unit_of_work(factory) as session:
        assert revive(session, item_id)
        assert not revive(session, item_id)  # only dead items
    deliver(factory, gateway, [item_id], POLICY)
    assert row(factory, item_id).status == "sent" and row(factory, item_id).attempts == 1


def test_a_reply_refused_without_an_unanswered_attempt_falls_back_to_push(factory):
    item_id = queue(factory, token="t1")
    gateway = ScriptedGateway(SendError(400, "Invalid reply token"))
    deliver(factory, gateway, [item_id], POLICY)
    sent = row(factory, item_id)
    assert [kind for kind, _ in gateway.calls] == ["reply", "push"]
    assert sent.via == "push" and sent.reply_unsettled == 0


def test_a_reply_with_a_definite_failure_is_tried_again_as_a_reply(factory):
    item_id = queue(factory, token="t1")
    gateway = ScriptedGateway(SendError(429, "Too Many Requests", retry_after=0))
    deliver(factory, gateway, [item_id], POLICY)
    assert row(factory, item_id).reply_unsettled == 0  # LINE said no: the token is unused
    time.sleep(0.3)
    deliver(factory, ScriptedGateway(SendError(400, "Invalid reply token")), [item_id], POLICY)
    assert row(factory, item_id).via == "push"  # the token expired meanwhile: pushed, nothing lost


def test_a_long_rate_limit_pause_defers_the_batch_without_spending_attempts(factory):
    ids = [queue(factory), queue(factory)]
    gateway = ScriptedGateway()
    gateway.paused = 60.0
    later = deliver(factory, gateway, ids, POLICY)
    assert [i for i, _ in later] == ids and gateway.calls == []
    assert all(row(factory, i).attempts == 0 for i in ids)


def test_claims_race_and_exactly_one_wins(factory):
    item_id = queue(factory)
    won: list[bool] = []
    barrier = threading.Barrier(6)

    def contend():
        barrier.wait()
        with unit_of_work(factory) as session:
            won.append(claim(session, item_id, POLICY) is not None)

    threads = [threading.Thread(target=contend) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 5 + [True]
    claimed = row(factory, item_id)
    assert claimed.attempts == 1 and claimed.claimed_until > utcnow()


def test_claims_race_on_postgresql(pg_url):  # noqa: F811
    engine = make_engine(pg_url)
    try:
        factory = make_session_factory(engine)
        test_claims_race_and_exactly_one_wins(factory)
        item_id = queue(factory)
        with unit_of_work(factory) as session:  # an expired lease is claimable again; a live one is not
            session.execute(update(OutboxItem).values(claimed_until=utcnow() - timedelta(seconds=1)))
            assert claim(session, item_id, POLICY) is not None
            assert claim(session, item_id, POLICY) is None
    finally:
        engine.dispose()


def test_the_sweeper_leaves_fresh_items_to_their_process_for_the_grace_period(factory):
    item_id = queue(factory)
    with factory() as session:
        assert pending_ids(session, RetryPolicy(sweep_grace_seconds=10)) == []
        assert pending_ids(session, RetryPolicy(sweep_grace_seconds=0)) == [item_id]


def queue_claimed(factory, count: int, token: str | None = None) -> list[Claim]:
    """Items created claimed for their first attempt, as the webhook creates its replies."""
    with unit_of_work(factory) as session:
        user = session.scalar(select(LineUser)) or LineUser(line_user_id="U" + "b" * 32)
        session.add(user)
        session.flush()
        items = [enqueue(session, user.id, user.line_user_id, TEXT, token, claim_for=POLICY)[0] for _ in range(count)]
    return [Claim.of(item) for item in items]


def test_items_created_claimed_are_left_alone_until_their_lease_runs_out(factory):
    [claimed] = queue_claimed(factory, 1, token="t1")
    stored = row(factory, claimed.id)
    assert stored.attempts == 1 and stored.reply_unsettled == 1 and stored.claimed_until > utcnow()
    with factory() as session:
        assert pending_ids(session, POLICY) == []  # the process that created it sends it
        assert claim(session, claimed.id, POLICY) is None
    with unit_of_work(factory) as session:  # ... unless it died: the lease runs out
        session.execute(update(OutboxItem).values(claimed_until=utcnow() - timedelta(seconds=1)))
    with factory() as session:
        assert pending_ids(session, POLICY) == [claimed.id]


def test_outcomes_of_a_batch_are_stored_in_one_transaction(factory):
    claims = queue_claimed(factory, 5, token="t1") + queue_claimed(factory, 2)
    gateway = ScriptedGateway(None, SendError(500, "boom", uncertain=True))  # the second reply fails
    commits: list[int] = []

    def count(_connection) -> None:
        commits.append(1)

    engine = factory.kw["bind"]
    event.listen(engine, "commit", count)
    try:
        later = send_claimed(factory, gateway, claims, POLICY)
    finally:
        event.remove(engine, "commit", count)
    assert len(commits) == 1
    rows = [row(factory, c.id) for c in claims]
    assert [r.status for r in rows] == ["sent", "pending", "sent", "sent", "sent", "sent", "sent"]
    assert [r.via for r in rows] == ["reply", None, "reply", "reply", "reply", "push", "push"]
    assert [r.reply_unsettled for r in rows] == [0, 1, 0, 0, 0, 0, 0]  # the 500 may have been delivered
    assert all(r.claimed_until is None for r in rows)
    assert later == [(claims[1].id, rows[1].next_attempt_at)]


def test_the_sender_stores_what_it_sent_for_claimed_items(factory):
    claims = queue_claimed(factory, 20, token="t1")
    sender = Sender(factory, ScriptedGateway(), asynchronous=True, policy=POLICY)  # type: ignore[arg-type]
    try:
        for start in range(0, 20, 4):
            sender.send(claims[start : start + 4])
    finally:
        sender.shutdown()  # waits for the sends and stores their outcomes
    assert {row(factory, c.id).status for c in claims} == {"sent"}


EXIT_WITHOUT_SHUTDOWN = """
import sys, time
from bot.platform.db import make_engine, make_session_factory
from bot.line.delivery import Claim, OutboxItem
from bot.line.sender import Sender

class SlowGateway:
    def reply(self, token, messages):
        time.sleep(0.2)

    def paused_for(self):
        return 0.0

factory = make_session_factory(make_engine(sys.argv[1]))
with factory() as session:
    claims = [Claim.of(item) for item in session.query(OutboxItem).all()]
sender = Sender(factory, SlowGateway())
sender.send(claims)
sys.exit(0)  # as a gunicorn worker ends after a graceful stop: nobody calls sender.shutdown()
"""


def test_a_process_that_exits_normally_stores_the_outcomes_of_its_sends_first(factory, db_url):
    claims = queue_claimed(factory, 3, token="t1")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run([sys.executable, "-c", EXIT_WITHOUT_SHUTDOWN, db_url], check=True, env=env, timeout=60)
    assert [(row(factory, c.id).status, row(factory, c.id).via) for c in claims] == [("sent", "reply")] * 3


def test_the_sender_retries_by_itself_when_the_backoff_is_short(factory):
    item_id = queue(factory)
    gateway = ScriptedGateway(SendError(503, "unavailable", uncertain=True), SendError(None, "RemoteDisconnected"))
    sender = Sender(factory, gateway, asynchronous=True, policy=POLICY)  # type: ignore[arg-type]
    try:
        sender.submit([item_id])
        deadline = time.monotonic() + 10
        while row(factory, item_id).status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.shutdown()
    assert row(factory, item_id).status == "sent" and row(factory, item_id).attempts == 3


def test_the_policy_reads_the_config_and_backs_off_exponentially():
    policy = RetryPolicy.from_config(
        {"OUTBOX_MAX_ATTEMPTS": "4", "OUTBOX_BACKOFF_SECONDS": "2", "OUTBOX_BACKOFF_MAX_SECONDS": "5"}
    )
    assert policy.max_attempts == 4 and policy.backoff_seconds == 2.0
    assert [
        round(policy.delay(n).total_seconds()) in range(lo, hi + 1) for n, lo, hi in ((1, 1, 3), (2, 3, 5), (5, 4, 6))
    ] == [True] * 3
    assert policy.delay(1, retry_after=9).total_seconds() == 9


def test_the_gateway_classifies_failures_and_reads_retry_after():
    gateway = LineGateway(f"http://127.0.0.1:{free_port()}", "token", timeout=1)
    with pytest.raises(SendError) as refused:
        gateway.push("U" + "a" * 32, TEXT, "0b7fa0a6-76a4-4a0e-9a4e-8f5b5e7a1f2c")
    assert refused.value.status is None and refused.value.retryable and not refused.value.uncertain
    assert _retry_after({"Retry-After": "7"}) == 7.0 and _retry_after({}) is None
    assert _retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert not SendError(409, "conflict").retryable and SendError(502, "bad gateway").retryable


def test_a_retry_after_date_is_read_against_the_real_clock_even_when_the_app_clock_is_frozen():
    """LINE's HTTP date is on the real clock: the wait is the same whatever time the app's clock says."""
    set_clock(lambda: datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= _retry_after({"Retry-After": in_a_minute}) <= 60
