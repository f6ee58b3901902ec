"""Sends committed outbox items after the webhook has answered, on a small thread pool.

A failed item is tried again by this process when its backoff is short (a timer resubmits it), and by the
worker's sweeper otherwise; the claim lease makes the two safe together.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.db import utcnow
from bot.line_gateway import LineGateway
from bot.outbox import deliver
from bot.outbox_policy import RetryPolicy

log = logging.getLogger(__name__)
MAX_TIMERS = 200  # beyond this many waiting retries (a long LINE outage), the sweeper does the rest


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

    def submit(self, item_ids: list[int]) -> None:
        """Send these items soon; failures stay in the outbox and are retried."""
        if not item_ids:
            return
        if self._pool is None:
            self._run(item_ids)
            return
        with self._lock:
            if self._closed:
                return
            self._pool.submit(self._run, item_ids)

    def _run(self, item_ids: list[int]) -> None:
        try:
            later = deliver(self._factory, self._gateway, item_ids, self.policy)
        except Exception:
            log.exception("sending outbox items %s failed; the scheduler will retry", item_ids)
            return
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
        """Cancel waiting retries (the sweeper has them) and wait for sends in progress."""
        with self._lock:
            self._closed = True
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
