"""Sends committed outbox items after the webhook has answered, on a small thread pool.

Items arrive claimed (`send`, from the webhook) or as ids to claim first (`submit`). Outcomes go to one
recorder thread that stores them in batches, one transaction each: it waits RECORD_LINGER after the first
outcome for others to join it, so that even at modest rates several sends share one commit (the items are
sent meanwhile; only the bookkeeping waits, and their leases keep other processes away). A failed item is tried
again by this process when its backoff is short (a timer resubmits it), and by the worker's sweeper otherwise;
the claim lease makes the two safe together. At exit (gunicorn stops a worker gracefully) every sender finishes
its sends and stores their outcomes; after a crash the leases run out and the sweeper settles what was left.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.line.delivery import Attempt, Claim, attempt, deliver, record, send_claimed
from bot.line.gateway import LineGateway
from bot.line.outbox_policy import RetryPolicy
from bot.platform.db import utcnow

log = logging.getLogger(__name__)
MAX_TIMERS = 200  # beyond this many waiting retries (a long LINE outage), the sweeper does the rest
MAX_BATCH = 200  # outcomes stored per transaction at most
# Seconds the recorder waits for more outcomes to store with the first (one commit for all): at 10 events/s per
# process about five share a commit (a transaction per outcome cost ~0.7 ms of app + PostgreSQL CPU each). Only the
# bookkeeping waits: the messages are sent meanwhile, and the claims' leases (30 s) keep other processes away.
RECORD_LINGER = 0.5
_live: weakref.WeakSet[Sender] = weakref.WeakSet()


class Sender:
    """Delivers outbox items asynchronously (or inline, without in-process retries, when not asynchronous)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        gateway: LineGateway,
        asynchronous: bool = True,
        policy: RetryPolicy | None = None,
    ):
        self._factory = factory
        self._gateway = gateway
        self.policy = policy or RetryPolicy()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sender") if asynchronous else None
        self._lock = threading.Lock()
        self._timers: dict[int, threading.Timer] = {}
        self._closed = False
        self._outcomes: queue.SimpleQueue[tuple[Claim, Attempt] | None] = queue.SimpleQueue()
        self._recorder: threading.Thread | None = None  # started on first use
        _live.add(self)

    def submit(self, item_ids: list[int]) -> None:
        """Claim and send these items soon; failures stay in the outbox and are retried."""
        if item_ids:
            self._dispatch(self._run, item_ids)

    def send(self, claims: list[Claim]) -> None:
        """Send items this process holds claims on (created claimed in a committed transaction)."""
        if claims:
            self._dispatch(self._run_claimed, claims)

    def _dispatch(self, run, work: list) -> None:
        if self._pool is None:
            run(work)
            return
        with self._lock:
            if self._closed:
                return
            self._pool.submit(run, work)

    def _run(self, item_ids: list[int]) -> None:
        try:
            later = deliver(self._factory, self._gateway, item_ids, self.policy)
        except Exception:
            log.exception("sending outbox items %s failed; the scheduler will retry", item_ids)
            return
        self._retry_all(later)

    def _run_claimed(self, claims: list[Claim]) -> None:
        if self._pool is None:
            try:
                self._retry_all(send_claimed(self._factory, self._gateway, claims, self.policy))
            except Exception:
                log.exception("sending outbox items %s failed; the scheduler will retry", [c.id for c in claims])
            return
        self._start_recorder()
        for claim in claims:
            try:
                outcome = attempt(self._gateway, claim, self.policy)
            except Exception:
                log.exception("sending outbox item %s failed; the scheduler will retry", claim.id)
                continue
            self._outcomes.put((claim, outcome))

    def _start_recorder(self) -> None:
        with self._lock:
            if self._recorder is None:
                self._recorder = threading.Thread(target=self._record_loop, name="sender-recorder", daemon=True)
                self._recorder.start()

    def _record_loop(self) -> None:
        while True:
            first = self._outcomes.get()
            if first is None:
                return
            batch, until = [first], time.monotonic() + RECORD_LINGER
            while len(batch) < MAX_BATCH:
                left = until - time.monotonic()
                try:
                    more = self._outcomes.get(timeout=left) if left > 0 else self._outcomes.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._outcomes.put(None)  # stop after this batch
                    break
                batch.append(more)
            try:
                self._retry_all(record(self._factory, batch, self.policy))
            except Exception:
                log.exception("recording outbox items %s failed; their leases run out", [c.id for c, _ in batch])

    def _retry_all(self, later: list[tuple[int, datetime]]) -> None:
        for item_id, when in later:
            self._retry_at(item_id, when)

    def _retry_at(self, item_id: int, when: datetime) -> None:
        if self._pool is None:
            return
        delay = max((when - utcnow()).total_seconds(), 0.0) + 0.05  # timers may fire a hair early
        if delay > self.policy.inline_retry_seconds:
            return
        with self._lock:
            if self._closed or item_id in self._timers or len(self._timers) >= MAX_TIMERS:
                return
            timer = threading.Timer(delay, self._fire, args=(item_id,))
            timer.daemon = True
            self._timers[item_id] = timer
            timer.start()

    def _fire(self, item_id: int) -> None:
        with self._lock:
            self._timers.pop(item_id, None)
        self.submit([item_id])

    def shutdown(self) -> None:
        """Cancel waiting retries (the sweeper has them), wait for sends in progress and store their outcomes."""
        with self._lock:
            self._closed = True
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        with self._lock:
            recorder, self._recorder = self._recorder, None
        if recorder is not None:
            self._outcomes.put(None)
            recorder.join(timeout=30)


@atexit.register
def _shutdown_all() -> None:
    """Finish every sender's work before the process exits."""
    for sender in list(_live):
        sender.shutdown()
