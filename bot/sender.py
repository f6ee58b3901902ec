"""Sends committed outbox items after the webhook has answered, on a small thread pool."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from bot.line_gateway import LineGateway
from bot.outbox import deliver

log = logging.getLogger(__name__)


class Sender:
    """Delivers outbox items asynchronously (or inline when `asynchronous` is False)."""

    def __init__(self, factory: sessionmaker[Session], gateway: LineGateway, asynchronous: bool = True):
        self._factory = factory
        self._gateway = gateway
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sender") if asynchronous else None

    def submit(self, item_ids: list[int]) -> None:
        """Send these items soon; failures stay in the outbox for the scheduler to retry."""
        if not item_ids:
            return
        if self._pool is None:
            self._run(item_ids)
        else:
            self._pool.submit(self._run, item_ids)

    def _run(self, item_ids: list[int]) -> None:
        try:
            deliver(self._factory, self._gateway, item_ids)
        except Exception:
            log.exception("sending outbox items %s failed; the scheduler will retry", item_ids)

    def shutdown(self) -> None:
        """Wait for queued sends to finish."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
