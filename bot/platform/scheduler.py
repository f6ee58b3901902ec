"""The single scheduler process (`madoguchi worker`): the only place APScheduler is used."""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from bot.booking import jobs as booking_jobs
from bot.handoff import jobs as handoff_jobs
from bot.notices import jobs as notice_jobs
from bot.platform import jobs
from bot.platform.leader import Leadership
from bot.platform.services import Services
from bot.privacy import jobs as privacy_jobs
from bot.report import jobs as report_jobs

log = logging.getLogger(__name__)


def build_scheduler(svc: Services) -> BackgroundScheduler:
    """A scheduler with every periodic job registered (jobs are idempotent and read the database)."""
    scheduler = BackgroundScheduler(timezone=str(svc.context.tz))
    scheduler.add_job(
        jobs.resend_pending_outbox, "interval", seconds=15, args=[svc], id="outbox", max_instances=1, coalesce=True
    )
    for job, seconds in (
        *booking_jobs.JOBS,
        *handoff_jobs.JOBS,
        *notice_jobs.JOBS,
        *privacy_jobs.JOBS,
        *report_jobs.JOBS,
    ):
        scheduler.add_job(job, "interval", seconds=seconds, args=[svc], id=job.__name__, max_instances=1, coalesce=True)
    return scheduler


def run_forever(svc: Services, check_seconds: float = 5.0) -> int:
    """Wait for the leadership, then run the scheduler until SIGINT/SIGTERM or until the leadership is lost.

    Returns the process exit code: 0 after a signal, 1 when the lock was lost (a supervisor restarts the
    worker, which then waits as a standby).
    """
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    leadership = Leadership(svc.engine)
    if not leadership.wait(stop):
        return 0
    scheduler = build_scheduler(svc)
    scheduler.start()
    log.info("scheduler started with jobs: %s", [j.id for j in scheduler.get_jobs()])
    code = 0
    while not stop.wait(check_seconds):
        if not leadership.still_held():
            code = 1
            break
    scheduler.shutdown(wait=True)
    leadership.release()
    return code
