"""Hand-off persistence: one row per hand-off to a human coordinator, and coordinators' internal notes.

Invariant held by the database: a resident has at most one open hand-off (a partial unique index on user_id
among rows whose status is not 'closed'); the conversation's `mode` mirrors it (waiting / human / oa_manager).
`assigned_to` is an admin user id kept as a plain integer: the admin tables live in another migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.platform.db import Base, utcnow
from bot.platform.models import LineUser

STATUSES = ("waiting", "assigned", "closed")
REASONS = ("asked", "crisis", "misunderstood", "path", "unhelpful")
OUTCOMES = {
    "answered": "回答・情報提供で解決",
    "booked": "相談予約につないだ",
    "referred": "他の窓口・団体を紹介",
    "follow_up": "継続対応（フォローあり）",
    "no_response": "利用者から応答なし",
    "other": "その他",
    "returned_to_bot": "ボットに戻した",
    "user_returned": "利用者がボットに戻った",
    "auto_returned": "無応答のため自動でボットに戻した",
}
CONSOLE_OUTCOMES = ("answered", "booked", "referred", "follow_up", "no_response", "other")


class Handoff(Base):
    """A resident handed to a human: waiting → assigned → closed (or waiting → closed)."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index(
            "uq_handoffs_user_open",
            "user_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_handoffs_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("line_users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    urgent: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(16), default="asked")
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # {"intent", "slots", "text"}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_to: Mapped[int | None]  # admin user id (no foreign key: another migration owns those tables)
    assigned_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(String(20))
    acknowledged_at: Mapped[datetime | None]  # the one acknowledgement sent while waiting
    notified_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    oa_manager: Mapped[bool] = mapped_column(default=False)
    group_pushes: Mapped[int] = mapped_column(default=0)  # LINE group notifications (they use push quota)

    user: Mapped[LineUser] = relationship()

    @property
    def is_open(self) -> bool:
        """Not closed yet."""
        return self.status != "closed"


class InternalNote(Base):
    """A coordinator's note on a hand-off; never sent to the resident."""

    __tablename__ = "handoff_notes"
    __table_args__ = (Index("ix_handoff_notes_handoff", "handoff_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    author_id: Mapped[int | None]
    author: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
