"""On PostgreSQL the conversation row lock serialises coordinators and events: one taker, one acknowledgement."""

from __future__ import annotations

import threading

from sqlalchemy import select

from bot.handoff import service
from bot.handoff.models import Handoff
from bot.handoff.queue import history, push_usage, queue, queue_counts
from bot.handoff.service import HandoffError
from bot.platform.conversation import lock_conversation
from bot.platform.db import make_engine, make_session_factory, unit_of_work, utcnow
from tests.handoff.factories import TOKYO, inbound, make_context

LINE_ID = "U" + "7" * 32


def run_together(n: int, work) -> list:
    barrier, results = threading.Barrier(n), []

    def run(i: int):
        barrier.wait()
        try:
            results.append(work(i))
        except HandoffError as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_takes_events_and_requests_on_postgresql(pg_url):
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    try:

        def ask(_i):
            with unit_of_work(factory) as s:
                return service.request(make_context(), s, lock_conversation(s, LINE_ID), "asked")

        run_together(4, ask)
        with factory() as s:
            handoffs = s.scalars(select(Handoff)).all()
        assert len(handoffs) == 1

        def message(i):
            with unit_of_work(factory) as s:
                return service.guard(make_context(), s, lock_conversation(s, LINE_ID), inbound(text=f"m{i}"))

        assert sorted(len(r.messages) for r in run_together(4, message)) == [0, 0, 0, 1]

        def take(i):
            with unit_of_work(factory) as s:
                return service.assign(s, handoffs[0].id, 100 + i, utcnow()).assigned_to

        results = run_together(4, take)
        assert sum(isinstance(r, int) for r in results) == 1
        assert sum(isinstance(r, HandoffError) for r in results) == 3
        taker = next(r for r in results if isinstance(r, int))
        with factory() as s:  # the console's queries on PostgreSQL
            assert queue_counts(s, taker) == {"waiting": 0, "urgent": 0, "mine": 1, "others": 0}
            assert [h.id for h in queue(s, "mine", taker)] == [handoffs[0].id]
            assert [line.kind for line in history(s, handoffs[0].user_id)] == ["event", "event"]
            assert push_usage(s, utcnow().astimezone(TOKYO).date()).used == 0
    finally:
        engine.dispose()
