"""Opt-in notices: residents' subscriptions (with their consent), staff's notices, and multicast batches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.platform.db import Base, utcnow

TOPICS = ("volunteer", "founding", "dissolution", "partnering", "funding")
WARDS = (  # Yokohama's 18 wards, in the city's usual order (code, name)
    ("tsurumi", "鶴見区"),
    ("kanagawa", "神奈川区"),
    ("nishi", "西区"),
    ("naka", "中区"),
    ("minami", "南区"),
    ("konan", "港南区"),
    ("hodogaya", "保土ケ谷区"),
    ("asahi", "旭区"),
    ("isogo", "磯子区"),
    ("kanazawa", "金沢区"),
    ("kohoku", "港北区"),
    ("midori", "緑区"),
    ("aoba", "青葉区"),
    ("tsuzuki", "都筑区"),
    ("totsuka", "戸塚区"),
    ("sakae", "栄区"),
    ("izumi", "泉区"),
    ("seya", "瀬谷区"),
)
WARD_NAMES = dict(WARDS)
MULTICAST_MAX = 500  # LINE's limit of recipients per multicast request


class NoticeSubscription(Base):
    """One resident's choice of notices: topics (empty = none), an optional ward, and when they consented."""

    __tablename__ = "notice_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("line_users.id", ondelete="CASCADE"), unique=True)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    ward: Mapped[str | None] = mapped_column(String(20))
    consented_at: Mapped[datetime | None]  # the latest opt-in the resident confirmed
    stopped_at: Mapped[datetime | None]  # set when they stopped everything (「配信停止」)
    history: Mapped[list] = mapped_column(JSON, default=list)  # every change: {at, action, topics, ward}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def active(self) -> bool:
        """Whether the resident currently wants any notice."""
        return bool(self.topics) and self.stopped_at is None


class Notice(Base):
    """A notice staff compose and send to the residents who opted in to its topics (and wards)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(1000))
    link_url: Mapped[str | None] = mapped_column(String(1000))
    topics: Mapped[list] = mapped_column(JSON, default=list)
    wards: Mapped[list] = mapped_column(JSON, default=list)  # empty: the whole city
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | scheduled | held | sending | sent
    scheduled_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]  # recipients fixed and batches made
    finished_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
    delivered: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    optouts: Mapped[int] = mapped_column(default=0)  # residents who stopped within a few days of receiving it


class NoticeBatch(Base):
    """One multicast request (≤ 500 recipients, one language), sent with its own stable X-Line-Retry-Key."""

    __tablename__ = "notice_batches"
    __table_args__ = (Index("ix_notice_batches_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(8))
    messages: Mapped[list] = mapped_column(JSON)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    size: Mapped[int] = mapped_column(default=0)  # recipients when the batch was made
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]  # lease of the attempt in progress
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    sent_count: Mapped[int] = mapped_column(default=0)  # recipients in the request LINE accepted


class NoticeRecipient(Base):
    """A resident put in one batch of a notice; unique per notice, so nobody is in two batches of it."""

    __tablename__ = "notice_recipients"
    __table_args__ = (UniqueConstraint("notice_id", "user_id"), Index("ix_notice_recipients_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("notice_batches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("line_users.id", ondelete="CASCADE"))
