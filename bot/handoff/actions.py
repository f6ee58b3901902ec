"""Console quick actions beyond a typed reply (KB answer, booking offer) and the silence auto-return."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.booking import flow as booking
from bot.dialogue.cards import render_answer
from bot.dialogue.menu import main_menu
from bot.dialogue.sources import cite
from bot.handoff.models import Handoff
from bot.handoff.service import HandoffError, finish, lock, queue_messages, send_coordinator_message
from bot.handoff.texts import ht
from bot.line import messages as m
from bot.platform.centre import CentreProfile
from bot.platform.context import BotContext
from bot.platform.models import Message


def send_kb_answer(
    ctx: BotContext, session: Session, handoff_id: int, admin_id: int, faq_id: str, now: datetime
) -> list[int]:
    """Send one knowledge-base answer card (without buttons: the coordinator is talking) as the coordinator."""
    ctx.knowledge.get(session)
    entry = ctx.knowledge.entry(faq_id)
    if entry is None or not entry.is_valid_on(now.astimezone(ctx.tz).date()):
        raise HandoffError("そのFAQは見つからないか、掲載期間外です。")
    card = m.Card(title=entry.question, body=render_answer(ctx, entry), footnote=cite(entry.source))
    return send_coordinator_message(session, handoff_id, admin_id, "", now, faq_id=entry.id, messages=[m.card(card)])


def offer_booking(ctx: BotContext, session: Session, handoff_id: int, admin_id: int, now: datetime) -> list[int]:
    """Close as 「相談予約につないだ」 and start the booking flow with the bot (booking needs the bot's buttons)."""
    handoff, conversation = lock(session, handoff_id)
    if handoff.status == "closed":
        raise HandoffError("この相談はすでに終了しています。")
    finish(conversation, handoff, "booked", admin_id, now)
    session.flush()
    lang = conversation.user.language
    topic = (handoff.summary or {}).get("intent")
    start = booking.start(ctx, session, conversation, topic)
    messages = [m.text(ht("booking_lead", lang)), *start.messages][: m.MAX_MESSAGES]
    return queue_messages(session, conversation, messages, {"intent": "booking"})


def last_activity(session: Session, handoff: Handoff) -> datetime:
    """The latest of the hand-off's start, its assignment and any message to or from the resident."""
    latest = session.scalar(select(func.max(Message.created_at)).where(Message.user_id == handoff.user_id))
    return max(t for t in (handoff.created_at, handoff.assigned_at, latest) if t is not None)


def auto_return(
    session: Session, handoff_id: int, now: datetime, silence: timedelta, profile: CentreProfile
) -> list[int] | None:
    """Give a silent conversation back to the bot with a short notice (its outbox ids); None if not due."""
    handoff, conversation = lock(session, handoff_id)
    if handoff.status == "closed" or now - last_activity(session, handoff) < silence:
        return None
    unanswered = handoff.status == "waiting"
    finish(conversation, handoff, "auto_returned", None, now)
    session.flush()
    user = conversation.user
    if user.unfollowed_at is not None:
        return []
    if unanswered:
        body = ht("auto_returned_unanswered", user.language, phone=profile.phone, hours=profile.hours_text)
    else:
        body = ht("auto_returned", user.language)
    return queue_messages(session, conversation, [m.text(body, main_menu(user.language))], {"intent": "human"})
