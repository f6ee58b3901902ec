"""A month of activity (November 2026) and three quieter months before it, built with the existing factories.

November: 8 residents ask about volunteering twice each (FAQ answers), 3 ask about founding (a small cell),
6 founding questions the bot could not answer and 2 「もしかして」, 5 hand-offs asked for and 1 crisis hand-off,
6 attended general consultations, 2 no-shows and 1 cancellation. August–October: 6 volunteering residents a month.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.models import Booking
from bot.handoff.models import Handoff
from bot.platform.models import Conversation, Message
from knowledge.models import FaqEntry, UnansweredQuestion
from tests.booking.factories import make_slot
from tests.handoff.factories import TOKYO
from tests.privacy.factories import resident

NOV = datetime(2026, 11, 10, 14, 0, tzinfo=TOKYO)
NAME = "山田 花子"
SECRET_WORDS = "=HYPERLINK(秘密の相談 090-1234-5678)"


def faq_id(session: Session, topic: str) -> str:
    """A shipped FAQ entry of the topic."""
    return session.scalar(select(FaqEntry.id).where(FaqEntry.topic == topic).order_by(FaqEntry.id))


def said(session: Session, user, at: datetime, intent: str, faq: str | None = None, words: str = SECRET_WORDS):
    """One resident message and the bot's reply."""
    session.add(
        Message(user_id=user.id, direction="in", kind="text", text=words, intent=intent, faq_id=faq, created_at=at)
    )
    session.add(Message(user_id=user.id, direction="out", kind="text", text="回答", intent=intent, created_at=at))


def make_months(session: Session) -> None:
    """Every row the module docstring describes."""
    volunteer = faq_id(session, "volunteer")
    for month in (8, 9, 10):
        for i in range(6):
            user = resident(session, NAME)
            said(session, user, datetime(2026, month, 5 + i, 10, 0, tzinfo=TOKYO), "volunteer", volunteer)
    people = [resident(session, NAME) for _ in range(8)]
    for i, user in enumerate(people):
        said(session, user, NOV + timedelta(hours=i), "volunteer", volunteer)
        said(session, user, NOV + timedelta(days=1, hours=i), "volunteer", volunteer)
    founders = [resident(session, NAME) for _ in range(3)]
    for i, user in enumerate(founders):
        said(session, user, NOV + timedelta(days=2, hours=i), "founding")
    session.flush()
    for user in people[:2]:
        conversation = session.scalar(select(Conversation).where(Conversation.user_id == user.id))
        conversation.slots, conversation.updated_at = {"ward_name": "港北区"}, NOV
    for i in range(6):
        session.add(
            UnansweredQuestion(
                text=f"NPO法人の助成金の申請書の書き方{i}",
                reason="abstained",
                intent="founding",
                created_at=NOV + timedelta(minutes=i),
            )
        )
    for i in range(2):
        session.add(
            UnansweredQuestion(
                text="駐車場はありますか", reason="low_confidence", created_at=NOV + timedelta(minutes=i)
            )
        )
    for i, user in enumerate(people[:5]):
        created = NOV + timedelta(days=3, hours=i)
        session.add(
            Handoff(
                user_id=user.id,
                status="closed",
                reason="asked",
                created_at=created,
                assigned_at=created + timedelta(minutes=10 + i),
                closed_at=created + timedelta(hours=1),
                outcome="answered",
                summary={"intent": "human", "slots": {"ward": "港北区"}, "text": ""},
            )
        )
    created = NOV + timedelta(days=4)
    session.add(
        Handoff(
            user_id=founders[0].id,
            status="closed",
            reason="crisis",
            created_at=created,
            assigned_at=created + timedelta(minutes=2),
            closed_at=created + timedelta(hours=1),
            outcome="referred",
            summary={},
        )
    )
    make_bookings(session, people, founders)
    session.flush()


def make_bookings(session: Session, people: list, founders: list) -> None:
    """6 attended, 2 no-shows and 1 cancellation of the general consultation in November."""
    slot = make_slot(session, "2026-11-20 10:00", capacity=20)
    statuses = ["attended"] * 6 + ["no_show"] * 2
    for seat, (user, status) in enumerate(zip(people[:6] + founders[:2], statuses, strict=True), start=1):
        session.add(Booking(slot_id=slot.id, user_id=user.id, seat_no=seat, status=status))
    session.add(Booking(slot_id=slot.id, user_id=founders[2].id, seat_no=None, status="cancelled"))
