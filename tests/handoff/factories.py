"""Test data for hand-off: frozen clocks at telling moments, residents, contexts and recording services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.line.inbound import Inbound
from bot.platform.centre import load_profile
from bot.platform.context import BotContext
from bot.platform.models import Conversation, LineUser
from bot.platform.services import Services
from knowledge.store import IndexCache

TOKYO = ZoneInfo("Asia/Tokyo")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)  # open 9:00-20:00
SATURDAY_EVENING = datetime(2026, 11, 21, 18, 30, tzinfo=TOKYO)  # Saturday closes at 17:00
HOLIDAY_EVENING = datetime(2026, 11, 23, 18, 0, tzinfo=TOKYO)  # 勤労感謝の日 (Monday), holiday hours 9:00-17:00


def at(text: str) -> datetime:
    """A Yokohama time from "YYYY-MM-DD HH:MM"."""
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


@dataclass
class Clock:
    """A settable clock for BotContext."""

    now: datetime = TUESDAY_MORNING

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        """Move the clock forward."""
        self.now = self.now + timedelta(**delta)
        return self.now


def make_context(clock: Clock | None = None, knowledge: bool = False) -> BotContext:
    """The shipped centre profile with a frozen clock (and the shipped knowledge base when asked)."""
    index = IndexCache.with_shipped_glossary() if knowledge else None
    return BotContext(profile=load_profile(), knowledge=index, tz=TOKYO, clock=clock or Clock())  # type: ignore[arg-type]


def make_resident(session: Session, name: str = "", language: str = "ja") -> Conversation:
    """A resident with a conversation row; returns the conversation."""
    user = LineUser(line_user_id="U" + (name or uuid.uuid4().hex).ljust(32, "0")[:32], language=language)
    user.display_name = f"利用者{name}" if name else None
    session.add(user)
    session.flush()
    conversation = Conversation(user_id=user.id, slots={})
    session.add(conversation)
    session.flush()
    return conversation


def inbound(kind: str = "text", text: str | None = None, data: str | None = None, token: str | None = None) -> Inbound:
    """An Inbound as the webhook builds it."""
    return Inbound(
        kind=kind,
        webhook_event_id=uuid.uuid4().hex[:26],
        event_type="postback" if kind == "postback" else "message",
        user_id="U" + "0" * 32,
        source_type="user",
        reply_token=token or uuid.uuid4().hex,
        timestamp=datetime.now(TOKYO),
        text=text,
        data=data,
        message_type="text" if kind == "text" else None,
    )


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

    def display_name(self, user_id: str) -> str | None:
        """Every resident is called the same in tests."""
        return "LINE 太郎"


def make_services(factory, clock: Clock | None = None) -> Services:
    """Services with a recording gateway and a frozen clock (what the worker's jobs receive)."""
    return Services(factory.kw["bind"], factory, make_context(clock), RecordingGateway(), None)  # type: ignore[arg-type]
