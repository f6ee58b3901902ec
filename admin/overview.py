"""The start page's counts: open unanswered questions, drafts waiting, FAQs expiring or due for review, FAQs rated
low."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.content.faq_tools import list_rows
from knowledge.models import UnansweredQuestion


def attention(session: Session, today: date) -> dict[str, int]:
    """What needs staff attention now."""
    rows = list_rows(session, "", "", "", "", today)
    return {
        "unanswered": session.scalar(select(func.count()).where(UnansweredQuestion.status == "open")) or 0,
        "drafts": sum(1 for r in rows if r.has_draft),
        "expiring": sum(1 for r in rows if r.expiring(today) and r.row.status == "published"),
        "review_due": sum(1 for r in rows if r.review_due(today) and r.row.status == "published"),
        "low_rating": sum(1 for r in rows if r.low_rating and r.row.status == "published"),
    }
