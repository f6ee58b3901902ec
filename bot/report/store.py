"""Generate a month's report and keep it: build, render PDF and CSVs, store (replacing that month's row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.report.build import Report, build_report
from bot.report.csvout import report_csvs
from bot.report.models import MonthlyReport
from bot.report.pdf import render_pdf


@dataclass
class Rendered:
    """A report with its outputs."""

    report: Report
    pdf: bytes
    csvs: dict[str, str]


def render_report(session: Session, month: date, tz, centre: str | None = None) -> Rendered:
    """Build the month's report and render both outputs."""
    report = build_report(session, month, tz)
    pdf = render_pdf(report, centre) if centre else render_pdf(report)
    return Rendered(report, pdf, report_csvs(report))


def store_report(session: Session, rendered: Rendered, generated_by: str) -> MonthlyReport:
    """Save the outputs as the month's stored report (flushed, not committed)."""
    row = stored_report(session, rendered.report.month)
    if row is None:
        row = MonthlyReport(month=rendered.report.month)
        session.add(row)
    row.pdf, row.csvs, row.generated_by = rendered.pdf, rendered.csvs, generated_by
    row.generated_at = rendered.report.generated_at
    session.flush()
    return row


def stored_report(session: Session, month: date) -> MonthlyReport | None:
    """The stored report of the month, if any."""
    return session.scalar(select(MonthlyReport).where(MonthlyReport.month == month.replace(day=1)))


def stored_months(session: Session) -> list[tuple[date, object, str]]:
    """(month, generated_at, generated_by) of every stored report, newest month first."""
    rows = session.execute(
        select(MonthlyReport.month, MonthlyReport.generated_at, MonthlyReport.generated_by).order_by(
            MonthlyReport.month.desc()
        )
    )
    return [tuple(r) for r in rows]
