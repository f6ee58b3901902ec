"""Where one webhook event's CPU goes: a per-stage breakdown of text events handled in this thread.

The bot's app serves its own emulator on a loopback server (in a thread); the events are POSTed through Flask's
test client in the main thread, with the sender inline, so every stage of one event (Flask and the webhook,
dedupe, conversation lock, throttle, content version, retrieval, classification, the dialogue, the outbox and
transcript, the commit, the reply's HTTP call and recording its outcome) runs in this thread and is timed with
the thread's CPU clock. A stage's time excludes the stages timed inside it (the semantic retriever's embedding
is its own line, inside retrieval). Also counted: SQL statements per event (and pool pre-pings).

Each figure twice: for texts repeated in rotation (every cache keyed by a text warm, as for rich-menu taps) and for
texts never seen before (every such cache missed). `python -m tests.bench.stages [--postgresql]`; `make bench`
prints it on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import itertools
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

from tests.bench.texts import TEXTS, distinct_texts  # noqa: E402 (after the thread settings)
from tests.support.events import SECRET, TOKEN, sign  # noqa: E402

USERS = 50
EVENTS = 400  # after a warm-up of one event per user (first contact), so these are returning users' events
QUESTIONS = TEXTS  # the load benchmark's texts

# (module, attribute, stage): what is timed. A missing attribute is skipped (the breakdown runs on older code too).
STAGES = [
    ("bot.pipeline", "record_event", "dedupe (inbound event insert)"),
    ("bot.pipeline", "lock_conversation", "conversation lock"),
    ("bot.pipeline", "recorded_and_locked", "dedupe + lock (PostgreSQL: one statement)"),
    ("bot.dialogue.throttle", "check", "throttle"),
    ("knowledge.store", "content_version", "content-version query"),
    ("knowledge.search.KnowledgeIndex", "search", "retrieval (n-grams, BM25, fusion)"),
    ("knowledge.search.KnowledgeIndex", "cosines", "retrieval: semantic (e5 embedding)"),
    ("bot.dialogue.typed", "classify", "classify"),
    ("bot.dialogue.answer", "classify", "classify"),
    ("bot.handoff.service", "classify", "classify"),
    ("bot.dialogue.throttle", "classify", "classify"),
    ("bot.pipeline", "dispatch", "dialogue (dispatch, handlers)"),
    ("bot.dialogue.misses", "note_rephrase", "dialogue: rephrase check (transcript read)"),
    ("bot.pipeline", "enqueue", "outbox + transcript insert"),
    ("bot.pipeline", "record_incoming", "outbox + transcript insert"),
    ("bot.pipeline", "_dispatch_recorded", "outbox + transcript insert"),  # the incoming line, around dispatch
    ("bot.pipeline", "enqueue_claims", "outbox + transcript insert"),
    ("bot.pipeline", "label_incoming", "outbox + transcript insert"),
    ("bot.pipeline", "write_changes", "conversation + user update"),
    ("bot.pipeline", "_changes_to_write", "conversation + user update"),  # PostgreSQL: written with the outbox item
    ("sqlalchemy.orm.Session", "commit", "commit"),
    ("bot.line.gateway.LineGateway", "_post", "reply send (HTTP to the emulator)"),
    ("bot.line.delivery", "record", "outcome record"),
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


PHASES = ("repeated", "distinct")  # texts: a few in rotation (cached after the warm-up); never seen before


def _texts(phase: str, events: int) -> list[str]:
    if phase == "repeated":
        return [QUESTIONS[i % len(QUESTIONS)] for i in range(events)]
    return list(itertools.islice(distinct_texts(), events))


def _cache_counts() -> dict[str, tuple[int, int]]:
    """(hits, misses) so far of the per-process caches keyed by a message's text (those this code has)."""
    from intents import classifier
    from knowledge import semantic

    found = {"triage": classifier.classify, "embedding": getattr(semantic.shared_embedder(), "recent_queries", None)}
    return {name: tuple(cached.cache_info()[:2]) for name, cached in found.items() if cached is not None}


def run(database_url: str | None = None, events: int = EVENTS, show_sql: bool = False) -> list[str]:
    """Per-stage CPU of returning users' text events (ms per event), repeated texts beside never-seen ones."""
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
        sent = itertools.count()

        def post(text: str) -> None:
            message = message_content({"type": "text", "text": text}, store.message_id())
            event = make_event(store, "message", f"U{next(sent) % USERS:032x}", message=message)
            body = json.dumps({"destination": "U" + "f" * 32, "events": [event]}, ensure_ascii=False)
            response = client.post("/callback", data=body.encode(), headers={"X-Line-Signature": sign(body)})
            assert response.status_code == 200, response.status_code

        for text in _texts("repeated", 2 * USERS):  # first contacts, then every user once more; every cache warm
            post(text)
        if show_sql:
            counts["show"] = 1
            post(QUESTIONS[0])
            counts.clear()
        measured = {}
        for phase in PHASES:
            texts = _texts(phase, events)
            clock, before = Clock(), _cache_counts()
            counts.clear()
            total, process_start = 0.0, time.process_time()
            with instrumented(clock):
                for text in texts:
                    start = time.thread_time()
                    post(text)
                    total += time.thread_time() - start
            process = time.process_time() - process_start
            clock.spent[REST] = total - sum(clock.spent.values())
            after = _cache_counts()
            caches = {k: (after[k][0] - before[k][0], after[k][1] - before[k][1]) for k in after}
            measured[phase] = (clock, total, process, defaultdict(int, counts), caches)
    return _table(measured, events, database_url)


def _table(measured: dict, events: int, database_url: str) -> list[str]:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000 / events:9.2f}"

    head = "".join(f" {phase + ' ms/event':>18} {'calls':>6}" for phase in measured)
    lines = [f"{'stage':44}{head}"]
    order = sorted({s for clock, *_ in measured.values() for s in clock.spent}, key=lambda s: -max(
        clock.spent.get(s, 0.0) for clock, *_ in measured.values()))  # fmt: skip
    for stage in order:
        row = f"{stage:44}"
        for clock, *_ in measured.values():
            calls = f"{clock.calls[stage] / events:6.2f}" if stage in clock.calls else " " * 6
            row += f" {ms(clock.spent.get(stage, 0.0)):>18} {calls}"
        lines.append(row)

    def summary(label: str, value) -> str:
        return f"{label:44}" + "".join(f" {value(*figures):>18} {'':6}" for figures in measured.values())

    def retrieval(clock, *_rest) -> float:
        return sum(v for k, v in clock.spent.items() if k.startswith("retrieval"))

    lines.append(summary("total (this thread)", lambda clock, total, *_: ms(total)))
    lines.append(summary("  of which retrieval (all three retrievers)", lambda *f: ms(retrieval(*f))))
    lines.append(summary("  without retrieval", lambda clock, total, *r: ms(total - retrieval(clock))))
    lines.append(summary("process CPU, every thread (emulator included)", lambda c, t, process, *_: ms(process)))
    lines.append(summary("SQL statements per event", lambda c, t, p, n, *_: f"{n['statements'] / events:.1f}"))
    lines.append(summary("pool pre-pings per event", lambda c, t, p, n, *_: f"{n['pings'] / events:.1f}"))
    for cache in ("embedding", "triage"):
        lines.append(summary(f"{cache} cache hits / misses", lambda *f, cache=cache: "/".join(
            map(str, f[4][cache])) if cache in f[4] else "(no cache)"))  # fmt: skip
    return [
        f"text events: {events} per column from {USERS} returning users, {database_url.split(':')[0]}, one thread; "
        f"repeated: {len(QUESTIONS)} texts in rotation (every text cache warm), distinct: never seen before",
        *lines,
    ]


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
