"""Knowledge persistence: FAQ entries with revisions, unanswered questions and answer feedback."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.platform.db import Base, utcnow


class FaqEntry(Base):
    """One curated question/answer; only `published` entries inside their validity are served."""

    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    topic: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    paraphrases: Mapped[list] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    answer_easy: Mapped[str] = mapped_column(Text, default="", server_default="")  # やさしい日本語
    answer_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[dict] = mapped_column(JSON, default=dict)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    reviewed_at: Mapped[date | None] = mapped_column(Date)
    review_by: Mapped[date | None] = mapped_column(Date)  # when staff must re-check the facts
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="published")  # draft | published | archived
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FaqRevision(Base):
    """A snapshot of an FAQ entry as saved, for history, diff and revert."""

    __tablename__ = "faq_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    faq_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(JSON)
    author: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnansweredQuestion(Base):
    """A resident question the bot abstained on, answered with low confidence, or answered with a card the resident
    rated unhelpful or followed by asking the same again."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)  # personal data masked before storing
    reason: Mapped[str] = mapped_column(String(20))  # abstained | low_confidence | unhelpful | rephrased
    intent: Mapped[str | None] = mapped_column(String(20))
    best_faq_id: Mapped[str | None] = mapped_column(String(80))
    score: Mapped[float | None]
    answer_faq_id: Mapped[str | None] = mapped_column(String(80))  # unhelpful | rephrased: the entry answered with
    answer_register: Mapped[str | None] = mapped_column(String(8))  # ja | easy | en: the register it was shown in
    rephrase: Mapped[str | None] = mapped_column(Text)  # rephrased: the resident's next message (masked)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | resolved | dismissed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerFeedback(Base):
    """A resident's 「役に立ちましたか」 answer for one FAQ answer."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    faq_id: Mapped[str] = mapped_column(String(80), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("line_users.id", ondelete="SET NULL"))
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
