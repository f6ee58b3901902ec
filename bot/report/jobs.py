"""The worker's report job: once the month is over, the previous month's report is generated and stored."""

from __future__ import annotations

import logging
from datetime import date

from bot.platform.db import unit_of_work, utcnow
from bot.platform.services import Services
from bot.report.build import previous_months
from bot.report.store import render_report, store_report, stored_report

log = logging.getLogger(__name__)


def generate_monthly_report(svc: Services) -> date | None:
    """On the 1st (or the first run after it), store the previous month's report unless it exists; the month
    generated, or None. Idempotent, so an hourly run costs one query."""
    tz = svc.context.tz
    month = previous_months(utcnow().astimezone(tz).date())[0]
    with unit_of_work(svc.session_factory) as session:
        if stored_report(session, month) is not None:
            return None
        centre = getattr(getattr(svc.context, "profile", None), "name", None)
        store_report(session, render_report(session, month, tz, centre), "worker")
    log.info("monthly report for %s stored", month.isoformat()[:7])
    return month


JOBS = ((generate_monthly_report, 3600),)
