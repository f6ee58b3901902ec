"""Stored monthly reports: the PDF and the CSV files of each month, as generated (one row per month)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.platform.db import Base, utcnow


class MonthlyReport(Base):
    """The latest generated report of one month (regenerating replaces it)."""

    __tablename__ = "monthly_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(unique=True)  # the first day of the month
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    csvs: Mapped[dict] = mapped_column(JSON)  # file name → CSV text (with BOM)
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    generated_by: Mapped[str] = mapped_column(String(40))  # worker | cli | staff:<admin user id>
