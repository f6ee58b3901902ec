"""The worker's notice job: start the notices whose time has come, send their batches, close finished ones."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.handoff.queue import push_usage
from bot.notices.models import NoticeBatch
from bot.notices.sending import finish_sent, send_batches, start_due
from bot.platform.db import unit_of_work, utcnow
from bot.platform.services import Services


def send_due_notices(svc: Services) -> int:
    """One round (idempotent, safe after a crash): returns how many batches were attempted."""
    tz = svc.context.tz

    def fits(session: Session, recipients: int) -> bool:  # the budget may have been used since it was scheduled
        usage = push_usage(session, utcnow().astimezone(tz).date())
        waiting = session.scalar(  # batches made (this run included) but not yet sent
            select(func.coalesce(func.sum(NoticeBatch.size), 0)).where(NoticeBatch.status == "pending")
        )
        return usage.used + int(waiting or 0) + recipients <= usage.budget

    with unit_of_work(svc.session_factory) as session:
        start_due(session, utcnow(), fits)
    tried = send_batches(svc.session_factory, svc.gateway, svc.outbox_policy)
    with unit_of_work(svc.session_factory) as session:
        finish_sent(session, utcnow())
    return tried


JOBS = ((send_due_notices, 10),)
