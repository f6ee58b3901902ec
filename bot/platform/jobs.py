"""Scheduler jobs: plain functions of the services, safe to run again at any time."""

from __future__ import annotations

from bot.line.delivery import deliver, pending_ids
from bot.platform.db import unit_of_work
from bot.platform.services import Services


def resend_pending_outbox(svc: Services) -> int:
    """Send outbox items left pending (LINE was down, or a process died between commit and send)."""
    policy = getattr(svc, "outbox_policy", None)
    with unit_of_work(svc.session_factory) as session:
        ids = pending_ids(session, policy)
    deliver(svc.session_factory, svc.gateway, ids, policy)
    return len(ids)
