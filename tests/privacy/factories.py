"""Test data for privacy: a frozen clock, residents with a year of history, and the admin's figures."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from admin import providers
from admin.insights import metrics
from bot.booking.defaults import ensure_types
from bot.booking.models import Booking, ConsultationType
from bot.booking.slots import add_slot
from bot.handoff.models import Handoff, InternalNote
from bot.platform.models import Conversation, InboundEvent, LineUser, Message, OutboxItem
from knowledge.models import AnswerFeedback, UnansweredQuestion
from knowledge.privacy import mask_personal_data

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)  # the frozen clock
OLD = NOW - timedelta(days=400)  # past the default retention of 365 days
RECENT = NOW - timedelta(days=10)
WHOLE = metrics.Period((NOW - timedelta(days=500)).date(), NOW.date(), TOKYO)  # a period covering both


def line_id() -> str:
    """A fresh LINE user id."""
    return "U" + uuid.uuid4().hex


def resident(session: Session, name: str = "山田 花子") -> LineUser:
    """A resident with a conversation row."""
    user = LineUser(line_user_id=line_id(), display_name=name, followed_at=OLD - timedelta(days=1))
    session.add(user)
    session.flush()
    session.add(Conversation(user_id=user.id, slots={}))
    session.flush()
    return user


def history(session: Session, user: LineUser, at: datetime, words: str) -> dict[str, int]:
    """A day of one resident's history at `at`: messages both ways, a push, an event, a question the bot
    could not answer, feedback, a closed hand-off with a note and an attended booking; returns row ids."""
    event_id = uuid.uuid4().hex[:26]
    session.add(
        InboundEvent(webhook_event_id=event_id, event_type="message", line_user_id=user.line_user_id, received_at=at)
    )
    said = Message(
        user_id=user.id,
        direction="in",
        kind="text",
        text=words,
        webhook_event_id=event_id,
        line_message_id="4711",
        intent="founding",
        faq_id="founding.npo",
        created_at=at,
    )
    push = OutboxItem(
        user_id=user.id,
        line_user_id=user.line_user_id,
        messages=[{"type": "text", "text": words}],
        retry_key=str(uuid.uuid4()),
        status="sent",
        via="push",
        created_at=at,
        sent_at=at,
    )
    session.add_all([said, push])
    session.flush()
    answer = Message(
        user_id=user.id, direction="out", kind="text", text="お答えします", outbox_id=push.id, created_at=at
    )
    question = UnansweredQuestion(text=mask_personal_data(words), reason="abstained", intent="founding", created_at=at)
    liked = AnswerFeedback(faq_id="founding.npo", user_id=user.id, helpful=False, created_at=at)
    handoff = Handoff(
        user_id=user.id,
        status="closed",
        reason="asked",
        summary={"text": words},
        created_at=at,
        assigned_at=at + timedelta(minutes=7),
        closed_at=at + timedelta(hours=1),
        outcome="answered",
    )
    session.add_all([answer, question, liked, handoff])
    session.flush()
    session.add(InternalNote(handoff_id=handoff.id, author="職員", text=f"{user.display_name}さん、折り返し希望"))
    ensure_types(session)
    ctype = session.query(ConsultationType).filter_by(code="general").one()
    slot = add_slot(session, ctype, at + timedelta(days=1, minutes=user.id), capacity=3)
    session.flush()
    booking = Booking(
        slot_id=slot.id,
        user_id=user.id,
        seat_no=1,
        status="attended",
        organisation="みなと子ども会",
        summary=words,
        created_at=at,
        confirmed_at=at,
    )
    session.add(booking)
    session.flush()
    return {
        "message": said.id,
        "answer": answer.id,
        "push": push.id,
        "question": question.id,
        "feedback": liked.id,
        "handoff": handoff.id,
        "booking": booking.id,
        "event": event_id,
    }


def figures(session: Session, period: metrics.Period = WHOLE) -> dict:
    """Every figure the insights dashboard computes for a period."""
    lo, hi = period.bounds
    handoffs = providers.handoff_stats(session, lo, hi)
    return {
        "daily": metrics.messages_per_day(session, period),
        "intents": metrics.intents(session, period),
        "outcomes": metrics.outcomes(session, period, handoffs.total),
        "feedback": metrics.feedback(session, period)[:2],
        "push": metrics.push_usage(session, period),
        "handoffs": (handoffs.total, handoffs.by_reason, handoffs.by_outcome, handoffs.median_wait_minutes),
        "group_pushes": providers.group_pushes(session, lo, hi),
        "bookings": [vars(row) for row in providers.booking_stats(session, lo, hi)],
    }
