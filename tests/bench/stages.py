"""Where one webhook event's CPU goes: a per-stage breakdown of text events handled in this thread.

The bot's app serves its own emulator on a loopback server (in a thread); the events are POSTed through Flask's
test client in the main thread, with the sender inline, so every stage of one event (Flask and the webhook,
dedupe, conversation lock, throttle, content version, retrieval, classification, the dialogue, the outbox and
transcript, the commit, the reply's HTTP call and recording its outcome) runs in this thread and is timed with
the thread's CPU clock. A stage's time excludes the stages timed inside it (the semantic retriever's embedding
is its own line, inside retrieval). Also counted: SQL statements per event (and pool pre-pings).

`python -m tests.bench.stages [--postgresql]`; `make bench` prints it on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import logging
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as bot/__init__.py sets them
    os.environ.setdefault(_variable, "1")

from tests.bench.load import TEXTS  # noqa: E402 (after the thread settings)
from tests.support.events import SECRET, TOKEN, sign  # noqa: E402

USERS = 50
EVENTS = 400  # after a warm-up of one event per user (first contact), so these are returning users' events
QUESTIONS = TEXTS  # the load benchmark's texts

# (module, attribute, stage): what is timed. A missing attribute is skipped (the breakdown runs on older code too).
STAGES = [
    ("bot.pipeline", "record_event", "dedupe (inbound event insert)"),
    ("bot.pipeline", "lock_conversation", "conversation lock"),
    ("bot.dialogue.throttle", "check", "throttle"),
    ("knowledge.store", "content_version", "content-version query"),
    ("knowledge.search.KnowledgeIndex", "search", "retrieval (n-grams, BM25, fusion)"),
    ("knowledge.search.KnowledgeIndex", "cosines", "retrieval: semantic (e5 embedding)"),
    ("bot.dialogue.typed", "classify", "classify"),
    ("bot.dialogue.answer", "classify", "classify"),
    ("bot.handoff.service", "classify", "classify"),
    ("bot.dialogue.throttle", "classify", "classify"),
    ("bot.pipeline", "dispatch", "dialogue (dispatch, handlers)"),
    ("bot.pipeline", "enqueue", "outbox + transcript insert"),
    ("bot.pipeline", "record_incoming", "outbox + transcript insert"),
    ("bot.pipeline", "enqueue_claims", "outbox + transcript insert"),
    ("bot.pipeline", "label_incoming", "outbox + transcript insert"),
    ("sqlalchemy.orm.Session", "commit", "commit"),
    ("bot.line.gateway.LineGateway", "_post", "reply send (HTTP to the emulator)"),
    ("bot.line.outbox", "record", "outcome record"),
]
REST = "Flask, signature, parse, other"


class Clock:
    """Thread-CPU time per stage, exclusive of the stages nested inside it."""

    def __init__(self):
        self.spent: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[float]] = []  # [start, time spent in nested stages]

    def wrap(self, stage: str, func):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            self._stack.append([time.thread_time(), 0.0])
            try:
                return func(*args, **kwargs)
            finally:
                start, nested = self._stack.pop()
                total = time.thread_time() - start
                self.spent[stage] += total - nested
                self.calls[stage] += 1
                if self._stack:
                    self._stack[-1][1] += total

        return timed


def _resolve(path: str):
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        with contextlib.suppress(ImportError):
            obj = importlib.import_module(".".join(parts[:cut]))
            for name in parts[cut:]:
                obj = getattr(obj, name)
            return obj
    raise ImportError(path)


@contextlib.contextmanager
def instrumented(clock: Clock):
    """Every stage of STAGES wrapped for the duration of the block."""
    undo = []
    for owner_path, name, stage in STAGES:
        try:
            owner = _resolve(owner_path)
        except (ImportError, AttributeError):
            continue
        original = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if original is None:
            continue
        setattr(owner, name, clock.wrap(stage, original))
        undo.append((owner, name, original))
    try:
        yield
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)


def _count_statements(engine, counts: dict[str, int]) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        counts["statements"] += 1
        if counts.get("show"):
            print("   SQL", " ".join(statement.split())[:150])

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_connection, record, proxy):
        counts["checkouts"] += 1

    if getattr(engine.pool, "_pre_ping", False):
        original = engine.dialect.do_ping

        def do_ping(dbapi_connection):
            counts["pings"] += 1
            return original(dbapi_connection)

        engine.dialect.do_ping = do_ping


def run(database_url: str | None = None, events: int = EVENTS, show_sql: bool = False) -> list[str]:
    """Per-stage CPU of returning users' text events (ms per event)."""
    from bot.app import create_app
    from bot.line.emulator import store_for
    from bot.line.emulator.webhook_sender import make_event, message_content
    from bot.tools.demo import prepare_database
    from tests.support.live_server import LiveServer

    with contextlib.ExitStack() as stack:
        if database_url is None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            database_url = f"sqlite:///{Path(tmp) / 'stages.db'}"
        prepare_database(database_url)
        config = lambda base: {  # noqa: E731
            "DATABASE_URL": database_url,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE": f"{base}/emulator/line",
            "EMULATOR_ENABLED": True,
            "LOG_LEVEL": "WARNING",
            "SEND_ASYNC": False,  # the reply and its outcome in this thread, so that they are timed
        }
        server = stack.enter_context(LiveServer.for_app_factory(lambda base: create_app(config(base))))
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app, store = server.app, store_for(server.app)
        client = app.test_client()
        counts: dict[str, int] = defaultdict(int)
        _count_statements(app.extensions["madoguchi"].engine, counts)

        def post(i: int) -> None:
            text = QUESTIONS[i % len(QUESTIONS)]
            message = message_content({"type": "text", "text": text}, store.message_id())
            event = make_event(store, "message", f"U{i % USERS:032x}", message=message)
            body = json.dumps({"destination": "U" + "f" * 32, "events": [event]}, ensure_ascii=False)
            response = client.post("/callback", data=body.encode(), headers={"X-Line-Signature": sign(body)})
            assert response.status_code == 200, response.status_code

        for i in range(2 * USERS):  # first contacts, then every user once more; every cache warm
            post(i)
        clock = Clock()
        counts.clear()
        total, process_start = 0.0, time.process_time()
        if show_sql:
            counts["show"] = 1
            post(2 * USERS)
            counts.clear()
        with instrumented(clock):
            for i in range(events):
                start = time.thread_time()
                post(2 * USERS + i)
                total += time.thread_time() - start
        process = time.process_time() - process_start
        clock.spent[REST] = total - sum(clock.spent.values())
        lines = [f"{'stage':44} {'ms/event':>9} {'calls/event':>12}"]
        for stage, spent in sorted(clock.spent.items(), key=lambda kv: -kv[1]):
            calls = f"{clock.calls[stage] / events:12.2f}" if stage in clock.calls else ""
            lines.append(f"{stage:44} {spent * 1000 / events:9.2f} {calls}")
        semantic = sum(v for k, v in clock.spent.items() if k.startswith("retrieval"))
        lines.append(f"{'total (this thread)':44} {total * 1000 / events:9.2f}")
        lines.append(f"{'  of which retrieval (all three retrievers)':44} {semantic * 1000 / events:9.2f}")
        lines.append(f"{'  without retrieval':44} {(total - semantic) * 1000 / events:9.2f}")
        lines.append(f"{'process CPU, every thread (emulator included)':44} {process * 1000 / events:9.2f}")
        lines.append(
            f"SQL statements per event {counts['statements'] / events:.1f}, pool checkouts "
            f"{counts['checkouts'] / events:.1f}, pre-pings {counts['pings'] / events:.1f}"
        )
    return [f"text events: {events} from {USERS} returning users, {database_url.split(':')[0]}, one thread", *lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.stages", description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true", help="a throwaway PostgreSQL 15 (default SQLite)")
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--sql", action="store_true", help="print one event's SQL statements first")
    args = parser.parse_args(argv)
    if not args.postgresql:
        lines = run(events=args.events, show_sql=args.sql)
    else:
        from tests.support.postgres import postgres_cluster

        with postgres_cluster(durable=True) as cluster:
            lines = run(cluster.create_database("bench_stages"), args.events, args.sql)
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
