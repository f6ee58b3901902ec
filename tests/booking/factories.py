"""Test data for booking: the frozen clock, residents, types and slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.defaults import ensure_types
from bot.booking.models import ConsultationType, Slot
from bot.booking.rules import TOKYO
from bot.booking.settings import BookingSettings
from bot.booking.slots import add_slot
from bot.platform.centre import load_profile
from bot.platform.context import BotContext
from bot.platform.models import Conversation, LineUser

# Tuesday 24 November 2026, 09:00 in Yokohama (the day after 勤労感謝の日, a Monday holiday).
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)
SETTINGS = BookingSettings()


def at(text: str) -> datetime:
    """A local time from "YYYY-MM-DD HH:MM"."""
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def make_user(session: Session, name: str = "") -> LineUser:
    """A resident with a conversation row."""
    user = LineUser(line_user_id="U" + (name or str(id(session))).ljust(32, "0")[:32])
    session.add(user)
    session.flush()
    session.add(Conversation(user_id=user.id, slots={}))
    session.flush()
    return user


def get_type(session: Session, code: str = "general") -> ConsultationType:
    """A default type (created on first use)."""
    ensure_types(session)
    return session.scalar(select(ConsultationType).where(ConsultationType.code == code))


def make_slot(session: Session, when: str | datetime, code: str = "general", capacity: int = 1) -> Slot:
    """A one-off slot of a type at a local time."""
    starts = at(when) if isinstance(when, str) else when
    return add_slot(session, get_type(session, code), starts, capacity=capacity)


@dataclass
class Clock:
    """A settable clock for BotContext (UTC, like bot.platform.db.utcnow)."""

    now: datetime = NOW
    steps: list[datetime] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        """Move the clock forward."""
        self.now = self.now + timedelta(**delta)
        return self.now


def make_context(clock: Clock) -> BotContext:
    """A bot context with the shipped centre profile and a frozen clock (knowledge is not needed)."""
    return BotContext(profile=load_profile(), knowledge=None, tz=TOKYO, clock=clock)  # type: ignore[arg-type]


class RecordingGateway:
    """Stands in for LineGateway: records pushes and replies instead of calling LINE."""

    def __init__(self):
        self.pushes: list[tuple[str, list[dict], str]] = []
        self.replies: list[tuple[str, list[dict]]] = []

    def push(self, to: str, messages: list[dict], retry_key: str) -> None:
        """Record a push."""
        self.pushes.append((to, messages, retry_key))

    def reply(self, reply_token: str, messages: list[dict]) -> None:
        """Record a reply."""
        self.replies.append((reply_token, messages))


def make_services(factory, clock: Clock | None = None):
    """Services with a recording gateway and a frozen clock (what the worker's jobs receive)."""
    from bot.platform.services import Services

    clock = clock or Clock()
    return Services(factory.kw["bind"], factory, make_context(clock), RecordingGateway(), None)  # type: ignore[arg-type]
