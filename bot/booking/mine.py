"""「予約の確認・変更・キャンセル」: a resident's upcoming bookings and waitlist entries, as LINE messages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.booking import replies as r
from bot.booking import service
from bot.booking.steps import Turn, entry_message, reply
from bot.booking.texts import bt
from bot.booking.waitlist import waiting_entries
from bot.dialogue.menu import back_to_menu
from bot.dialogue.reply import Reply
from bot.line import messages as m
from bot.platform.context import BotContext
from bot.platform.models import Conversation


def my_bookings(ctx: BotContext, session: Session, conversation: Conversation) -> Reply:
    """「予約の確認・変更・キャンセル」: the resident's bookings with cancel/change buttons, and waitlist entries."""
    turn = Turn(ctx, session, conversation)
    turn.leave()
    bookings = service.upcoming_bookings(session, turn.user_id, turn.now)
    entries = waiting_entries(session, turn.user_id, turn.now)
    messages = []
    if bookings:
        alt = bt("mine_alt", count=len(bookings))
        messages.append(r.carousel(alt, [r.booking_bubble(ctx, b) for b in bookings]))
    messages.extend(entry_message(e) for e in entries[:3])
    text = bt("mine_head", count=len(bookings)) if bookings else bt("mine_none")
    chips = [m.Choice(bt("label.book_new"), data={"a": "bk.types"}), back_to_menu()]
    messages.append(m.text(text, chips))
    return reply(*messages[-m.MAX_MESSAGES :])
