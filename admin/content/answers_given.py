"""The unanswered inbox's rows with the answer that was given (for questions rated unhelpful or asked again)."""

from __future__ import annotations

from sqlalchemy import select

from admin.insights.grouping import Given, Question
from knowledge.models import FaqEntry, UnansweredQuestion
from knowledge.privacy import mask_personal_data

ANSWER_COLUMN = {"ja": "answer", "easy": "answer_easy", "en": "answer_en"}


def inbox_questions(db, rows: list[UnansweredQuestion]) -> list[Question]:
    """Stored questions for grouping, each with the entry the bot answered with, in the register it was shown in."""
    ids = {r.answer_faq_id for r in rows if r.answer_faq_id}
    entries = {e.id: e for e in db.scalars(select(FaqEntry).where(FaqEntry.id.in_(ids)))} if ids else {}
    return [Question(r.id, r.text, r.reason, r.best_faq_id, _given(r, entries.get(r.answer_faq_id))) for r in rows]


def _given(row: UnansweredQuestion, entry: FaqEntry | None) -> Given | None:
    if not row.answer_faq_id:
        return None
    register = row.answer_register or "ja"
    if entry is None:  # deleted since: the id is all there is
        return Given(row.answer_faq_id, register, row.answer_faq_id, "", _masked(row.rephrase))
    answer = getattr(entry, ANSWER_COLUMN.get(register, "answer"), "") or entry.answer
    return Given(entry.id, register, entry.question, answer, _masked(row.rephrase))


def _masked(text: str | None) -> str | None:
    return mask_personal_data(text) if text else None
