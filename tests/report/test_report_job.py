"""The worker's report job, with a frozen clock: the previous month's report is stored once, on the 1st."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot.platform.db import set_clock
from bot.platform.scheduler import build_scheduler
from bot.report.jobs import generate_monthly_report
from bot.report.models import MonthlyReport
from bot.report.store import stored_months, stored_report
from tests.handoff.factories import TOKYO, Clock, make_services


def frozen(moment: datetime) -> Clock:
    """The app's clock (bot.platform.db.utcnow) and the services' clock, both at `moment`."""
    set_clock(lambda: moment)
    return Clock(moment)


def test_on_the_first_the_previous_month_is_generated_and_stored(seeded):
    svc = make_services(seeded, frozen(datetime(2026, 12, 1, 0, 30, tzinfo=TOKYO)))
    assert generate_monthly_report(svc) == date(2026, 11, 1)
    with seeded() as session:
        row = stored_report(session, date(2026, 11, 1))
        assert row.generated_by == "worker" and row.pdf.startswith(b"%PDF")
        assert "madoguchi-report-2026-11-intents.csv" in row.csvs
        assert ",16,6," in row.csvs["madoguchi-report-2026-11-intents.csv"]


def test_running_again_the_same_month_does_nothing(seeded):
    svc = make_services(seeded, frozen(datetime(2026, 12, 1, 0, 30, tzinfo=TOKYO)))
    generate_monthly_report(svc)
    frozen(datetime(2026, 12, 1, 1, 30, tzinfo=TOKYO))
    assert generate_monthly_report(svc) is None
    with seeded() as session:
        assert session.scalar(select(func.count()).select_from(MonthlyReport)) == 1


def test_the_month_follows_the_centres_timezone_not_utc(seeded):
    svc = make_services(seeded)
    frozen(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 1 December 01:00 in Yokohama: November is over
    assert generate_monthly_report(svc) == date(2026, 11, 1)
    frozen(datetime(2026, 11, 30, 14, 59, tzinfo=UTC))  # 30 November 23:59 in Yokohama: October's report
    assert generate_monthly_report(svc) == date(2026, 10, 1)
    with seeded() as session:
        assert [m for m, _at, _by in stored_months(session)] == [date(2026, 11, 1), date(2026, 10, 1)]


def test_the_worker_runs_the_job_hourly(seeded):
    jobs = {job.id: job for job in build_scheduler(make_services(seeded)).get_jobs()}
    assert jobs["generate_monthly_report"].trigger.interval.total_seconds() == 3600
