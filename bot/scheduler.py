"""The single scheduler process (`madoguchi worker`): the only place APScheduler is used."""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from bot import jobs
from bot.booking import jobs as booking_jobs
from bot.services import Services

log = logging.getLogger(__name__)


def build_scheduler(svc: Services) -> BackgroundScheduler:
    """A scheduler with every periodic job registered (jobs are idempotent and read the database)."""
    scheduler = BackgroundScheduler(timezone=str(svc.context.tz))
    scheduler.add_job(
        jobs.resend_pending_outbox, "interval", seconds=15, args=[svc], id="outbox", max_instances=1, coalesce=True
    )
    for job, seconds in booking_jobs.JOBS:
        scheduler.add_job(job, "interval", seconds=seconds, args=[svc], id=job.__name__, max_instances=1, coalesce=True)
    return scheduler


def run_forever(svc: Services) -> None:
    """Run the scheduler until SIGINT/SIGTERM."""
    scheduler = build_scheduler(svc)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    log.info("scheduler started with jobs: %s", [j.id for j in scheduler.get_jobs()])
    stop.wait()
    scheduler.shutdown(wait=True)
