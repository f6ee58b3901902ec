"""50 residents race for the last seat of one slot: exactly one booking, everyone else gets the next options.

Runs on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (row lock on the slot), the latter
on a throwaway local cluster, skipped with the reason when PostgreSQL is not installed.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select

from bot.booking import flow, service
from bot.booking.errors import SlotFull
from bot.booking.models import Booking
from bot.booking.slots import bookable_slots
from bot.line.messages import visible_text
from bot.platform.conversation import lock_conversation
from bot.platform.db import make_engine, make_session_factory, unit_of_work
from tests.booking.factories import NOW, SETTINGS, Clock, make_context, make_slot, make_user
from tests.support.driver import actions

RACERS = 50


@pytest.fixture(params=["sqlite", "postgresql"])
def race_factory(request, db_url):
    """A session factory on SQLite or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        engine = make_engine(db_url)
    else:  # one connection per racer, so they really do arrive at once
        engine = create_engine(request.getfixturevalue("pg_url"), pool_size=RACERS, max_overflow=0)
    yield make_session_factory(engine)
    engine.dispose()


def last_seat(factory) -> tuple[int, list[str]]:
    """A 3-seat slot with 2 seats taken, a later slot with room, and 50 residents; returns (slot id, LINE ids)."""
    with unit_of_work(factory) as s:
        slot = make_slot(s, "2026-12-01 10:00", capacity=3)
        make_slot(s, "2026-12-02 10:00", capacity=3)
        for name in ("early1", "early2"):
            user = make_user(s, name)
            hold = service.hold_slot(s, user.id, slot.id, NOW, SETTINGS)
            service.confirm_booking(s, hold.id, user.id, NOW, SETTINGS)
        users = [make_user(s, f"racer{i:02d}").line_user_id for i in range(RACERS)]
        return slot.id, users


def confirmed_in(factory, slot_id: int) -> int:
    with factory() as s:
        query = select(func.count()).where(Booking.slot_id == slot_id, Booking.status == "confirmed")
        return s.scalar(query)


def run_all(fn, args) -> list:
    barrier = threading.Barrier(len(args))

    def go(arg):
        barrier.wait()
        return fn(arg)

    with ThreadPoolExecutor(max_workers=len(args)) as pool:
        return list(pool.map(go, args))


def test_fifty_threads_booking_the_last_seat_make_exactly_one_booking(race_factory):
    slot_id, line_ids = last_seat(race_factory)

    def attempt(line_id: str):
        try:
            with unit_of_work(race_factory) as s:
                user = lock_conversation(s, line_id).user
                hold = service.hold_slot(s, user.id, slot_id, NOW, SETTINGS)
                service.confirm_booking(s, hold.id, user.id, NOW, SETTINGS)
            return "booked", []
        except SlotFull as exc:
            with race_factory() as s:
                options = bookable_slots(s, s.get(Booking, 1).slot.type, NOW, SETTINGS)
            return exc.text, [a.slot.id for a in options]

    results = run_all(attempt, line_ids)
    assert [r for r, _ in results].count("booked") == 1
    assert confirmed_in(race_factory, slot_id) == 3
    losers = [options for r, options in results if r != "booked"]
    assert len(losers) == RACERS - 1
    assert all(options and slot_id not in options for options in losers)


def test_fifty_residents_tapping_the_same_time_on_line_get_one_hold_and_49_next_options(race_factory):
    slot_id, line_ids = last_seat(race_factory)
    ctx = make_context(Clock())

    def tap(line_id: str) -> list[dict]:
        with unit_of_work(race_factory) as s:
            conversation = lock_conversation(s, line_id)
            return flow.on_postback(ctx, s, conversation, {"a": "bk.slot", "id": str(slot_id)}).messages

    replies = run_all(tap, line_ids)
    winners = [r for r in replies if any(a.get("label") == "スキップ" for a in actions(r))]
    assert len(winners) == 1
    for reply in replies:
        if reply is winners[0]:
            continue
        text = "\n".join(visible_text(m) for m in reply)
        assert "満席" in text and "キャンセル待ちに登録" in text
        assert any(a.get("data", "").startswith("a=bk.date") for a in actions(reply))
    skip = next(a for a in actions(winners[0]) if a.get("label") == "スキップ")
    winner = line_ids[replies.index(winners[0])]
    with unit_of_work(race_factory) as s:
        conversation = lock_conversation(s, winner)
        hold = dict(p.split("=") for p in skip["data"].split("&"))["h"]
        flow.on_postback(ctx, s, conversation, {"a": "bk.confirm", "h": hold})
    assert confirmed_in(race_factory, slot_id) == 3
