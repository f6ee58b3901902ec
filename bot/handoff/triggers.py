"""The dispatcher's hand-off triggers in one place: the 「相談員と話したい」 postbacks and the checks after a reply.

a=human            → request(reason="asked")          a=human&u=1 (crisis message chip) → urgent crisis
a=human&r=path     → request(reason="path")           a=human&r=unhelpful (after 「いいえ」) → "unhelpful"
a reply with intent "crisis"                          → resources + request("crisis", urgent) (≤ 5 messages)
a second misunderstood message in a row               → the bot's reply + request("misunderstood")
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.dialogue.reply import Reply
from bot.handoff.models import REASONS
from bot.handoff.service import request
from bot.line import messages as m
from bot.platform.context import BotContext
from bot.platform.models import Conversation

MISUNDERSTOOD_LIMIT = 2


def reason_of(data: dict) -> tuple[str, bool]:
    """(reason, urgent) from a postback's data: `u=1` is urgent (crisis), `r` names the reason, else "asked"."""
    if data.get("u") == "1":
        return "crisis", True
    reason = data.get("r", "asked")
    return (reason if reason in REASONS else "asked"), False


def on_postback(ctx: BotContext, session: Session, conversation: Conversation, data: dict) -> Reply:
    """`a=human` (from chips, cards and the rich menu): hand the resident to a person."""
    reason, urgent = reason_of(data)
    return request(ctx, session, conversation, reason, urgent=urgent)


def combine(first: Reply, handoff_reply: Reply) -> Reply:
    """One reply of at most five messages: `first` (e.g. crisis resources) then the hand-off message."""
    room = m.MAX_MESSAGES - len(handoff_reply.messages)
    messages = first.messages[:room] + handoff_reply.messages
    intent = first.intent or handoff_reply.intent
    return Reply(messages, intent=intent, confidence=first.confidence, handoff=True, kind=first.kind)


def after_reply(ctx: BotContext, session: Session, conversation: Conversation, reply: Reply | None) -> Reply | None:
    """Hand off after a crisis reply or a second misunderstood message in a row; otherwise the reply unchanged."""
    if reply is None or conversation.mode != "bot":
        return reply
    if reply.intent == "crisis":
        return combine(reply, request(ctx, session, conversation, "crisis", urgent=True))
    if not reply.understood and conversation.misunderstood_count + 1 >= MISUNDERSTOOD_LIMIT:
        return combine(reply, request(ctx, session, conversation, "misunderstood"))
    return reply
