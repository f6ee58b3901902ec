"""Booking throughput and confirm-step latency with 1,000 slots and 10,000 bookings already in the database.

Each booking is two transactions, as on LINE: hold the seat (tap a time), then confirm (tap 「この内容で予約する」).
Runs on SQLite (file, WAL) and, when the binaries are installed, on a throwaway local PostgreSQL cluster (durable
settings). Residents pick random slots, so "booked" can fall short of the attempts when a slot filled up (SlotFull,
the expected answer). Threads share one Python process (and its GIL): on a small machine the 8-thread figures show
contention, not the database's limit; SQLite's tail latency there is its busy-wait on the single writer lock.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select

from bot.booking import service
from bot.booking.defaults import ensure_types
from bot.booking.errors import BookingError
from bot.booking.models import Booking, Slot
from bot.booking.rules import TOKYO
from bot.booking.settings import BookingSettings
from bot.platform.db import make_engine, make_session_factory, unit_of_work, utcnow
from bot.platform.migrate import upgrade
from bot.platform.models import LineUser
from tests.support.postgres import missing_reason, postgres_cluster

SLOTS, BOOKINGS, CAPACITY = 1_000, 10_000, 14
RUNS = ((1, 500), (8, 1_000))  # (threads, bookings)
SETTINGS = BookingSettings(max_open_per_user=1_000)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _users(session, prefix: str, n: int) -> list[int]:
    now = utcnow()
    rows = [{"line_user_id": f"U{prefix}-{i:06d}", "language": "ja", "created_at": now} for i in range(n)]
    session.execute(insert(LineUser), rows)
    return list(session.scalars(select(LineUser.id).where(LineUser.line_user_id.like(f"U{prefix}%"))))


def populate(factory, now: datetime) -> list[int]:
    """1,000 open slots (4 types, days 3–52 ahead) holding 10,000 bookings; returns the slot ids."""
    with unit_of_work(factory) as s:
        types = ensure_types(s)
        rows = []
        for i in range(SLOTS):
            ctype = types[i % 4]
            day = now.date() + timedelta(days=3 + (i // 4) // 5)
            starts = datetime.combine(day, datetime.min.time(), tzinfo=TOKYO) + timedelta(hours=9 + 2 * ((i // 4) % 5))
            rows.append(
                {"type_id": ctype.id, "starts_at": starts, "ends_at": starts + timedelta(hours=1), "capacity": CAPACITY}
            )
        s.execute(insert(Slot), [dict(r, status="open", created_at=utcnow()) for r in rows])
        slot_ids = list(s.scalars(select(Slot.id)))
        users = _users(s, "seed", BOOKINGS // 2)
        bookings = []
        for n in range(BOOKINGS):
            slot_id, seat = slot_ids[n % SLOTS], n // SLOTS + 1
            cancelled = seat > 8
            bookings.append(
                {
                    "slot_id": slot_id,
                    "user_id": users[(n + n // SLOTS) % len(users)],  # never twice in a slot
                    "seat_no": None if cancelled else seat,
                    "status": "cancelled" if cancelled else "confirmed",
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
            )
        s.execute(insert(Booking), bookings)
    return slot_ids


def book_once(factory, user_id: int, slot_ids: list[int], now: datetime, rng: random.Random) -> float | None:
    """Hold then confirm one booking; returns the confirm step's milliseconds (None when the slot was full)."""
    try:
        with unit_of_work(factory) as s:
            hold = service.hold_slot(s, user_id, rng.choice(slot_ids), now, SETTINGS).id
        start = time.perf_counter()
        with unit_of_work(factory) as s:
            service.confirm_booking(s, hold, user_id, now, SETTINGS)
        return (time.perf_counter() - start) * 1000
    except BookingError:
        return None


def measure(factory, slot_ids: list[int], now: datetime, threads: int, n: int, tag: str) -> tuple[float, list[float]]:
    """Bookings per second and confirm latencies for n attempts by n fresh residents on `threads` threads."""
    with unit_of_work(factory) as s:
        users = _users(s, tag, n)
    rngs = [random.Random(f"{tag}-{i}") for i in range(n)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda i: book_once(factory, users[i], slot_ids, now, rngs[i]), range(n)))
    elapsed = time.perf_counter() - start
    latencies = [r for r in results if r is not None]
    return len(latencies) / elapsed, latencies


def bench_backend(name: str, url: str, engine_kwargs: dict | None = None) -> list[str]:
    """Migrate, populate and measure one database."""
    upgrade(url)
    engine = create_engine(url, **engine_kwargs) if engine_kwargs else make_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(TOKYO)
    try:
        slot_ids = populate(factory, now)
        lines = []
        for threads, n in RUNS:
            rate, lat = measure(factory, slot_ids, now, threads, n, f"b{threads}x")
            lines.append(
                f"{name:<11} {SLOTS:>6} {BOOKINGS:>9} {threads:>8} {len(lat):>5}/{n:<5} {rate:>11.1f} "
                f"{statistics.median(lat):>11.2f} {percentile(lat, 99):>11.2f}"
            )
        return lines
    finally:
        engine.dispose()


def run() -> list[str]:
    """Benchmark rows as printable lines."""
    head = ("backend", "slots", "bookings", "threads", "booked", "bookings/s", "confirm p50", "p99 ms")
    lines = ["{:<11} {:>6} {:>9} {:>8} {:>11} {:>11} {:>11} {:>11}".format(*head)]
    with tempfile.TemporaryDirectory() as tmp:
        lines += bench_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")
    reason = missing_reason()
    if reason:
        return [*lines, f"postgresql  skipped: {reason}"]
    with postgres_cluster(durable=True) as cluster:
        lines += bench_backend("postgresql", cluster.create_database(), {"pool_size": 10, "max_overflow": 0})
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
