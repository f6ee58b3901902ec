"""Helpers for conversation tests: a settable clock, LINE's spec for what the bot sends, and the main menu."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.dialogue.menu import PATHS
from bot.dialogue.texts import t
from bot.handoff.models import Handoff
from bot.line.emulator import limits, schema
from bot.platform.models import Conversation, LineUser
from tests.support.driver import WebhookUser, visible

TOKYO = ZoneInfo("Asia/Tokyo")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)  # the centre is open (9:00-20:00)


@dataclass
class Clock:
    """A settable clock for the app's BotContext."""

    now: datetime = TUESDAY_MORNING

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


def freeze_clock(app, now: datetime = TUESDAY_MORNING) -> Clock:
    """Give the bot a clock the test controls (opening hours, flow expiry)."""
    clock = Clock(now)
    app.extensions["madoguchi"].context.clock = clock
    return clock


def spec_errors(messages: list[dict]) -> list[dict]:
    """What LINE would refuse in a reply with these messages: the OpenAPI schema plus the documented limits."""
    body = {"replyToken": "0" * 32, "messages": messages}
    spec = schema.errors("messaging-api.yml", "ReplyMessageRequest", body)
    return spec + limits.check_messages(messages, ["messages"])


def quick_labels(messages: list[dict]) -> list[str]:
    """Labels of the quick replies LINE shows: only the last message's are displayed."""
    if not messages:
        return []
    return [item["action"]["label"] for item in (messages[-1].get("quickReply") or {}).get("items", [])]


def main_menu_labels(lang: str = "ja") -> set[str]:
    """The main menu's chip labels in one language."""
    return {t(f"label.{path}", lang) for path in PATHS}


def shows_main_menu(messages: list[dict]) -> bool:
    """Whether the reply ends with the main menu (in any of the bot's languages)."""
    labels = set(quick_labels(messages))
    return any(main_menu_labels(lang) <= labels for lang in ("ja", "easy", "en"))


def conversation_row(app, line_user_id: str) -> Conversation:
    """The resident's conversation row as stored (mode, flow, state, slots)."""
    with app.extensions["madoguchi"].session_factory() as session:
        user = session.scalar(select(LineUser).where(LineUser.line_user_id == line_user_id))
        return session.scalar(select(Conversation).where(Conversation.user_id == user.id))


def handoffs(app, line_user_id: str) -> list[Handoff]:
    """The resident's hand-offs, oldest first."""
    with app.extensions["madoguchi"].session_factory() as session:
        user = session.scalar(select(LineUser).where(LineUser.line_user_id == line_user_id))
        return list(session.scalars(select(Handoff).where(Handoff.user_id == user.id).order_by(Handoff.id)))


def walk(user: WebhookUser, *labels: str) -> str:
    """Tap each label in turn (each must be in the bot's last reply); every reply must be valid for LINE."""
    for label in labels:
        messages = user.taps(label)
        assert messages and spec_errors(messages) == [], (label, spec_errors(messages))
    return visible(user.last)
