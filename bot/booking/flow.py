"""The booking conversation on LINE: the four entry points the dispatcher calls.

    start / 「相談を予約」 / a=book ──▶ DATE ──bk.date | date picker | typed 「12/3」──▶ TIME
      TYPE ──bk.type──▶ DATE                                                     │ bk.slot (10-minute hold)
                                                                                  ▼
    END (confirmed) ◀──bk.confirm── CONFIRM ◀──text | bk.skip── SUMMARY
    my_bookings ──bk.cancel──▶ CANCEL ──bk.cancel_yes──▶ END (cancelled)
                └─bk.resched──▶ DATE ─…─▶ CONFIRM (the old booking is cancelled when the new one is confirmed)
    Any state: SlotFull, BookingClosed, HoldExpired, Overlap… → their text + the next free dates (DATE).
    bk.abort (やめる) → END, the hold is let go. The flow expires like any other (bot.dialogue.dispatch).

Every button carries its own ids (slot, hold, booking), so a stale or doubled tap is checked against the
database, not against the conversation state; the state only says what free text means.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.booking import replies as r
from bot.booking import service
from bot.booking.actions import POSTBACKS, choose_type
from bot.booking.errors import BookingError, TooManyBookings
from bot.booking.steps import FLOW, State, Turn, confirm_card, dates, on_day, parse_day, recover
from bot.booking.texts import bt
from bot.dialogue.reply import Reply
from bot.line import messages as m
from bot.platform.context import BotContext
from bot.platform.models import Conversation

SKIP_WORDS = {"スキップ", "すきっぷ", "skip", "なし", "特になし"}
TOPIC_TYPES = {"dissolution": "dissolution", "partnering": "partnering", "founding": "general", "volunteer": "general"}
STATES = frozenset(State)


def start(ctx: BotContext, session: Session, conversation: Conversation, topic: str | None = None) -> Reply:
    """「相談を予約」 or the `booking` intent: the next free dates of the type the topic suggests."""
    turn = Turn(ctx, session, conversation)
    existing = service.upcoming_bookings(session, turn.user_id, turn.now)
    limit = turn.settings.max_open_per_user
    try:
        if len(existing) >= limit:
            raise TooManyBookings(f"同時にお持ちいただけるご予約は{limit}件までです。")
        result = dates(turn, TOPIC_TYPES.get(topic or "", "general"))
    except BookingError as exc:
        result = recover(turn, exc)
    if existing:  # a resident with a booking may have come to see or change it: say what they have first
        result.messages.insert(0, _existing_message(existing, more=len(existing) < limit))
    return _note_language(result, conversation.user.language)


def _existing_message(existing: list, more: bool) -> dict:
    """「いまのご予約：12月3日(木) 10:00〜11:00「…」」 and where to see, change or cancel it."""
    lines = "\n".join(r.booking_line(b) for b in existing[:3])
    text = bt("existing", bookings=("\n" if len(existing) > 1 else "") + lines)
    return m.text(f"{text}\n{bt('existing_more')}" if more else text)


def _note_language(result: Reply, lang: str) -> Reply:
    """The booking steps are in Japanese: say so in English first, with the way to a person who can help."""
    if lang == "en" and len(result.messages) < m.MAX_MESSAGES:
        result.messages.insert(0, m.text(bt("english_note")))
    return result


def on_postback(ctx: BotContext, session: Session, conversation: Conversation, data: dict) -> Reply:
    """Every `bk.*` postback, the answer cards' `a=book&t=…` and the date picker (`data["params"]`)."""
    turn = Turn(ctx, session, conversation)
    handler = POSTBACKS.get(str(data.get("a", "")), choose_type)
    try:
        return handler(turn, data)
    except BookingError as exc:
        return recover(turn, exc)


def on_text(ctx: BotContext, session: Session, conversation: Conversation, text: str) -> Reply | None:
    """Free text inside the flow (the summary, or a typed date); None when the text is not for the flow."""
    if conversation.flow != FLOW:
        return None
    turn = Turn(ctx, session, conversation)
    slots = conversation.slots or {}
    try:
        if conversation.state == State.SUMMARY and slots.get("h"):
            hold = int(slots["h"])
            if text.strip().lower() not in SKIP_WORDS:
                service.note_booking(session, hold, turn.user_id, None, text)
            return confirm_card(turn, hold)
        typed = parse_day(text, turn.now.date())
        if conversation.state in (State.DATE, State.TIME) and typed and slots.get("t"):
            return on_day(turn, slots["t"], typed, slots.get("r"))
    except BookingError as exc:
        return recover(turn, exc)
    return None
