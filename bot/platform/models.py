"""Core persistence: LINE users, their conversation state, transcripts, inbound events and the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.platform.db import Base, utcnow


class LineUser(Base):
    """A resident who wrote to (or followed) the LINE account."""

    __tablename__ = "line_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="ja")  # ja | easy | en
    followed_at: Mapped[datetime | None]
    unfollowed_at: Mapped[datetime | None]
    consent_at: Mapped[datetime | None]  # when the privacy notice (follow greeting with its link) was last given
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="user", uselist=False)


class Conversation(Base):
    """Per-user conversation state; its row is locked while one of the user's events is handled."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("line_users.id", ondelete="CASCADE"), unique=True)
    mode: Mapped[str] = mapped_column(String(16), default="bot")  # bot | waiting | human | oa_manager
    flow: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str | None] = mapped_column(String(40))
    slots: Mapped[dict] = mapped_column(JSON, default=dict)
    state_updated_at: Mapped[datetime | None]
    misunderstood_count: Mapped[int] = mapped_column(default=0)
    last_reply_token: Mapped[str | None] = mapped_column(String(128))
    last_reply_token_at: Mapped[datetime | None]
    # The flood throttle's own record (bot/dialogue/throttle.py), kept on this row so that it needs no query of its
    # own: when the resident's latest counted messages came (epoch seconds; only those within the window, at most
    # the limit) and when they were last asked to slow down.
    throttle_times: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    throttle_notice_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[LineUser] = relationship(back_populates="conversation")

    # Never stored: this event created the conversation (first contact), so the resident wrote nothing before it.
    first_contact = False
    # Never stored: the resident's message before this event, when the statement that locked the row read it
    # (bot.platform.conversation.record_and_lock): a 1-tuple of it, or of None when there was none; None when unread.
    previous_message = None


class InboundEvent(Base):
    """A processed webhook event; the unique webhook_event_id drops LINE's redeliveries."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    is_redelivery: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxItem(Base):
    """One API call's worth of messages (at most 5) waiting to be sent, or sent."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("line_users.id", ondelete="CASCADE"))
    line_user_id: Mapped[str] = mapped_column(String(64))
    reply_token: Mapped[str | None] = mapped_column(String(128))
    reply_token_at: Mapped[datetime | None]
    messages: Mapped[list] = mapped_column(JSON)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sent | dead
    via: Mapped[str | None] = mapped_column(String(8))  # reply | push
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]  # start of the latest attempt
    claimed_until: Mapped[datetime | None]  # lease: nobody else sends the item before then
    next_attempt_at: Mapped[datetime | None]  # backoff after a failed attempt
    reply_unsettled: Mapped[int] = mapped_column(default=0)  # reply attempts whose outcome is unknown
    sent_at: Mapped[datetime | None]


class Message(Base):
    """Transcript line: every inbound and outbound message, with LINE ids and triage results."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("line_users.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    kind: Mapped[str] = mapped_column(String(20))  # text, postback, sticker, image, flex, follow ...
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)
    line_message_id: Mapped[str | None] = mapped_column(String(64))
    webhook_event_id: Mapped[str | None] = mapped_column(String(64))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    intent: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float | None]
    faq_id: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    outbox: Mapped[OutboxItem | None] = relationship()  # lets one flush insert an item and its lines together


class Setting(Base):
    """A staff-tunable value (JSON), overriding the default in code."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict | list | str | int | float | bool | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
