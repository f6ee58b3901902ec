"""Scheduler jobs: plain functions of the services, safe to run again at any time."""

from __future__ import annotations

from bot.db import unit_of_work
from bot.outbox import deliver, pending_ids
from bot.services import Services


def resend_pending_outbox(svc: Services) -> int:
    """Send outbox items left pending (LINE was down, or a process died between commit and send)."""
    with unit_of_work(svc.session_factory) as session:
        ids = pending_ids(session)
    deliver(svc.session_factory, svc.gateway, ids)
    return len(ids)
