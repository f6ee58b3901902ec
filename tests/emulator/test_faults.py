"""LINE failing the ways it can (500, 429 + Retry-After, slow, timed out, connection dropped): whatever happens,
the resident gets every message exactly once, by reply while the token is fresh, else by push.

The real app runs behind a live HTTP server with the emulator and the real line-bot-sdk client; the outbox's
backoff is shortened and the client times out after 1 s, so each test takes a few seconds at most.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

import bot.line.delivery
from bot.app import create_app
from bot.handoff.queue import push_usage
from bot.line.delivery import USED_BY_EARLIER, revive
from bot.line.emulator import EmulatorStore, store_for
from bot.platform.db import unit_of_work, utcnow
from bot.platform.jobs import resend_pending_outbox
from bot.platform.models import OutboxItem
from bot.platform.services import Services
from tests.support.line_faults import (
    PUSH,
    REPLY,
    EmulatorHttp,
    Resident,
    assert_exactly_once,
    outbox_rows,
    outbox_settled,
    wait_until,
)
from tests.support.live_server import LiveServer, emulator_config

FAST = {
    "LINE_API_TIMEOUT": 1.0,
    "OUTBOX_BACKOFF_SECONDS": 0.2,
    "OUTBOX_BACKOFF_MAX_SECONDS": 1.0,
    "OUTBOX_CLAIM_SECONDS": 3,
    "OUTBOX_SWEEP_GRACE_SECONDS": 0,
}
HELLO = "こんにちは"


@dataclass
class Live:
    """The running app with the emulator."""

    app: object
    svc: Services
    store: EmulatorStore
    emulator: EmulatorHttp

    def resident(self) -> Resident:
        return Resident(self.emulator)

    def rows(self, resident: Resident) -> list[OutboxItem]:
        return outbox_rows(self.svc.session_factory, resident.user)


@pytest.fixture
def live(db_url):
    """The app on a free port, LINE pointed at its own emulator, sending asynchronously as in production."""

    def build(base: str):
        return create_app(
            {
                **emulator_config(base, db_url),
                "EMULATOR_REPLY_WAIT": 0.3,
                "SEND_ASYNC": True,
                **FAST,
            }
        )

    with LiveServer.for_app_factory(build) as server:
        svc = server.app.extensions["madoguchi"]
        yield Live(server.app, svc, store_for(server.app), EmulatorHttp(server.url))
        svc.sender.shutdown()
        svc.engine.dispose()


def expire_reply_tokens(live: Live) -> None:
    """LINE refuses every reply token from now on (as if each had expired): the bot must push."""
    live.store.reply_token_ttl = 0.0


def settle(live: Live, resident: Resident) -> list[dict]:
    return assert_exactly_once(live.svc.session_factory, live.emulator, resident)


def pushes_counted(live: Live) -> int:
    with live.svc.session_factory() as session:
        return push_usage(session, live.svc.context.today()).used


REPLY_FAULTS = {
    "500 twice": {"status": 500, "count": 2},
    "503 processed anyway": {"status": 503, "deliver": True},
    "timeout, processed": {"mode": "timeout", "delay_ms": 1500},
    "timeout, not processed": {"mode": "timeout", "delay_ms": 1500, "deliver": False},
    "dropped before processing": {"mode": "drop"},
    "dropped after processing": {"mode": "drop", "deliver": True},
    "slow": {"delay_ms": 600},
}


@pytest.mark.parametrize("fault", REPLY_FAULTS.values(), ids=REPLY_FAULTS.keys())
def test_a_failing_reply_is_delivered_exactly_once(live, fault):
    live.emulator.fault(paths=[REPLY], **fault)
    resident = live.resident()
    resident.says(HELLO)
    inbox = settle(live, resident)
    assert live.emulator.pending_faults() == []  # the fault really happened
    assert {m["via"] for m in inbox} == {"reply"}  # the token was still fresh: no push used
    assert pushes_counted(live) == 0 and live.store.consumption == 0


def test_a_processed_reply_whose_answer_was_lost_is_not_sent_again(live):
    live.emulator.fault(paths=[REPLY], mode="timeout", delay_ms=1500)
    resident = live.resident()
    resident.says(HELLO)
    settle(live, resident)
    [first, *_] = live.rows(resident)
    assert first.via == "reply" and first.attempts == 2 and first.last_error == USED_BY_EARLIER


def test_429_waits_for_retry_after(live):
    live.emulator.fault(paths=[REPLY], status=429, retry_after=1)
    resident = live.resident()
    resident.says(HELLO)
    inbox = settle(live, resident)
    refused = datetime.fromisoformat(live.emulator.injected()[0]["at"])
    delivered = datetime.fromisoformat(inbox[0]["at"])
    assert delivered - refused >= timedelta(seconds=0.95)
    assert {m["via"] for m in inbox} == {"reply"}


PUSH_FAULTS = {
    "500 three times": {"status": 500, "count": 3},
    "429 with Retry-After": {"status": 429, "retry_after": 1},
    "timeout, accepted (retry gets 409)": {"mode": "timeout", "delay_ms": 1500},
    "dropped before processing": {"mode": "drop"},
    "dropped after processing (retry gets 409)": {"mode": "drop", "deliver": True},
    "500 after processing (retry gets 409)": {"status": 500, "deliver": True},
}


@pytest.mark.parametrize("fault", PUSH_FAULTS.values(), ids=PUSH_FAULTS.keys())
def test_a_failing_push_is_delivered_exactly_once_and_counted_once(live, fault):
    expire_reply_tokens(live)
    live.emulator.fault(paths=[PUSH], **fault)
    resident = live.resident()
    resident.says(HELLO)
    inbox = settle(live, resident)
    assert live.emulator.pending_faults() == []
    assert {m["via"] for m in inbox} == {"push"}
    rows = live.rows(resident)
    assert {r.via for r in rows} == {"push"}
    assert len({r.retry_key for r in rows}) == len(rows)
    assert pushes_counted(live) == len(rows) == live.store.consumption  # LINE's count and ours agree


def test_a_reply_failing_until_its_token_is_stale_falls_back_to_push(live, monkeypatch):
    monkeypatch.setattr(bot.line.delivery, "REPLY_TOKEN_TTL", timedelta(seconds=1))
    live.emulator.fault(paths=[REPLY], status=500, count=20)
    resident = live.resident()
    resident.says(HELLO)
    inbox = settle(live, resident)
    assert inbox[0]["via"] == "push"
    first = live.rows(resident)[0]
    assert first.via == "push" and first.attempts >= 2 and pushes_counted(live) >= 1


def test_a_rejected_push_is_dead_and_an_admin_retry_sends_it_once(live):
    expire_reply_tokens(live)
    live.emulator.fault(paths=[PUSH], status=400, count=1)
    resident = live.resident()
    resident.says(HELLO)
    rows = outbox_settled(live.svc.session_factory)
    dead = [r for r in rows if r.status == "dead"]
    assert len(dead) == 1 and dead[0].attempts == 1 and "400" in dead[0].last_error
    assert len(resident.inbox_texts()) == len(rows) - 1
    with unit_of_work(live.svc.session_factory) as session:
        assert revive(session, dead[0].id)
    live.svc.sender.submit([dead[0].id])
    settle(live, resident)


def test_messages_committed_but_never_sent_are_sent_once_by_concurrent_sweepers(live, monkeypatch):
    """A process that dies between commit and send: the rows stay pending, claimed by the dead process for their
    first attempt; once that lease runs out, three sweepers race for them."""
    monkeypatch.setattr(live.svc.sender, "send", lambda claims: None)  # the web process "dies" after commit
    resident = live.resident()
    resident.says(HELLO)
    assert resident.inbox_texts() == []
    rows = live.rows(resident)
    assert rows and all(r.status == "pending" and r.attempts == 1 for r in rows)
    resend_pending_outbox(live.svc)
    assert resident.inbox_texts() == []  # the lease still runs
    wait_until(lambda: utcnow() > max(r.claimed_until for r in rows), timeout=5)
    sweepers = [threading.Thread(target=resend_pending_outbox, args=(live.svc,)) for _ in range(3)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join(timeout=20)
    inbox = settle(live, resident)
    assert {m["via"] for m in inbox} == {"reply"}  # still within the token's life
    assert all(r.attempts == 2 and r.status == "sent" for r in live.rows(resident))


def test_a_send_interrupted_mid_call_is_finished_by_the_sweeper_after_the_lease(live, monkeypatch):
    """A claim whose process died mid-reply (attempt counted, no outcome): nobody touches it until the lease
    runs out; then the sweeper finds the token used and does not send it again."""
    monkeypatch.setattr(live.svc.sender, "send", lambda claims: None)
    resident = live.resident()
    resident.says(HELLO)
    [first, *rest] = live.rows(resident)
    live.svc.gateway.reply(first.reply_token, first.messages)  # what the dead process managed to do
    with unit_of_work(live.svc.session_factory) as session:
        row = session.get(OutboxItem, first.id)
        row.attempts, row.reply_unsettled = 1, 1
        row.claimed_at, row.claimed_until = utcnow(), utcnow() + timedelta(seconds=1)
    resend_pending_outbox(live.svc)
    assert live.rows(resident)[0].status == "pending"  # the lease still runs
    wait_until(lambda: utcnow() > row.claimed_until, timeout=3)
    resend_pending_outbox(live.svc)
    settle(live, resident)
    assert live.rows(resident)[0].last_error == USED_BY_EARLIER


def test_the_emulator_refuses_bad_fault_rules(live):
    for rule, error in [
        ({"status": 200}, "status"),
        ({"mode": "explode"}, "mode"),
        ({"mode": "timeout"}, "delay_ms"),
        ({"status": 500, "mode": "drop"}, "either"),
        ({"count": 0}, "count"),
        ({"paths": ["reply"]}, "paths"),
    ]:
        status, body = live.emulator.call("POST", "/faults", rule)
        assert status == 400 and error in body["error"], (rule, body)
    live.emulator.fault(status=500, count=5)
    assert live.emulator.pending_faults()[0]["count"] == 5
    status, body = live.emulator.call("DELETE", "/faults")
    assert status == 200 and body == {"pending": [], "injected": []}


def test_faults_only_hit_the_paths_they_name(live):
    live.emulator.fault(paths=[PUSH], status=500, count=1)
    resident = live.resident()
    resident.says(HELLO)
    settle(live, resident)
    assert live.emulator.pending_faults()[0]["count"] == 1  # replies went through untouched
    with live.svc.session_factory() as session:
        assert session.scalar(select(OutboxItem.attempts).limit(1)) == 1
