"""Shared pieces of the booking flow: states, the per-event Turn, the date/time steps and recovery."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking import replies as r
from bot.booking.errors import (
    AlreadyDone,
    BookingError,
    CancelDeadlinePassed,
    HoldExpired,
    NotFound,
    SlotFull,
    TooManyBookings,
)
from bot.booking.models import Booking, ConsultationType
from bot.booking.rules import TOKYO
from bot.booking.seats import own_booking
from bot.booking.settings import BookingSettings, booking_settings
from bot.booking.slots import bookable_slots
from bot.booking.texts import bt, day_long, when
from bot.dialogue.menu import back_to_menu
from bot.dialogue.reply import Reply
from bot.line import messages as m
from bot.platform.context import BotContext
from bot.platform.models import Conversation

FLOW = "booking"


class State(StrEnum):
    """Where the resident is in the booking flow (what free text means)."""

    TYPE = "type"
    DATE = "date"
    TIME = "time"
    SUMMARY = "summary"
    CONFIRM = "confirm"
    CANCEL = "cancel"


@dataclass
class Turn:
    """One event's worth of context: the bot services, the session and the resident's conversation."""

    ctx: BotContext
    session: Session
    conversation: Conversation

    @cached_property
    def now(self) -> datetime:
        """The current local time."""
        return self.ctx.now()

    @cached_property
    def settings(self) -> BookingSettings:
        """Booking tunables (settings table over defaults; closures include the centre profile's)."""
        return booking_settings(self.session, tuple(self.ctx.profile.closures))

    @property
    def user_id(self) -> int:
        """The resident's line_users.id."""
        return self.conversation.user_id

    def enter(self, state: State, **slots) -> None:
        """Move to a state of the booking flow, remembering only these slots."""
        c = self.conversation
        c.flow, c.state, c.state_updated_at = FLOW, state.value, self.now
        c.slots = {k: v for k, v in slots.items() if v is not None}

    def leave(self) -> None:
        """End the flow."""
        c = self.conversation
        c.flow, c.state, c.slots, c.state_updated_at = None, None, {}, self.now


def reply(*messages: dict) -> Reply:
    """A booking reply."""
    return Reply(list(messages), intent="booking")


def entry_message(entry) -> dict:
    """One waitlist entry with 「キャンセル待ちをやめる」 (and 「予約する」 while a seat is offered)."""
    slot = entry.slot
    line = bt("waiting_line", when=when(slot.starts_at, slot.ends_at), name=slot.type.name)
    chips = [m.Choice(bt("label.unwait"), data={"a": "bk.unwait", "w": str(entry.id)})]
    if entry.status == "offered" and entry.booking_id:
        chips.insert(0, m.Choice(bt("label.book"), data={"a": "bk.confirm", "h": str(entry.booking_id)}))
    return m.text(line, chips)


def parse_day(text: str, today: date) -> date | None:
    """「12/3」「12月3日」 → the next such date from today; None if the text is not a date."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[/月]\s*(\d{1,2})\s*日?\s*", text.translate(_FULLWIDTH))
    if not match:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


_FULLWIDTH = str.maketrans("０１２３４５６７８９／", "0123456789/")


def int_of(data: dict, key: str) -> int:
    """An id from postback data; a missing or garbled one is a stale button (NotFound)."""
    try:
        return int(data.get(key, ""))
    except (TypeError, ValueError):
        raise NotFound() from None


def opt_int(value) -> int | None:
    """An optional id (e.g. the booking being rescheduled)."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def type_or_default(turn: Turn, code: str | None) -> ConsultationType:
    """The active type with this code, else the first active type."""
    types = active_types(turn.session)
    found = next((t for t in types if t.code == code), None) or (types[0] if types else None)
    if found is None:
        raise NotFound("申し訳ありません。いまLINEで予約できる相談はありません。")
    return found


def active_types(session: Session) -> list[ConsultationType]:
    """Types residents can book, in the staff's order."""
    query = select(ConsultationType).where(ConsultationType.active).order_by(ConsultationType.sort_order)
    return list(session.scalars(query))


def dates(
    turn: Turn,
    code: str | None,
    reschedule: int | None = None,
    head: str | None = None,
    from_day: date | None = None,
    wait: int | None = None,
) -> Reply:
    """The next free dates of a type as quick replies (or a kind 「空きがありません」 with other ways)."""
    ctype = type_or_default(turn, code)
    free = bookable_slots(turn.session, ctype, turn.now, turn.settings)
    if from_day is not None:
        free = [a for a in free if a.slot.starts_at.astimezone(TOKYO).date() >= from_day]
    if not free:
        p = turn.ctx.profile
        body = f"{head}\n" if head else ""
        body += bt("no_dates", name=ctype.name, phone=p.phone, hours=p.hours_text)
        chips = [m.Choice(bt("label.types"), data={"a": "bk.types"}), r.mine_chip()]
        if wait:
            chips.insert(0, m.Choice(bt("label.wait"), data={"a": "bk.wait", "s": str(wait)}))
        turn.enter(State.TYPE, r=reschedule)
        return reply(m.text(body, [*chips, back_to_menu()]))
    if head is None:
        head = bt(
            "dates",
            name=ctype.name,
            description=ctype.description,
            duration=ctype.duration_minutes,
            place=r.place_label(ctype),
        )
    turn.enter(State.DATE, t=ctype.code, r=reschedule)
    return reply(r.dates_message(ctype, free, head, reschedule, wait))


def on_day(turn: Turn, code: str, day: date, reschedule) -> Reply:
    """The free times of one day, or the next dates from that day when it is full."""
    ctype = type_or_default(turn, code)
    reschedule = opt_int(reschedule)
    free = bookable_slots(turn.session, ctype, turn.now, turn.settings, on=day)
    if not free:
        head = bt("no_times", day=day_long(day)) + "\n" + bt("dates_from", day=day_long(day))
        return dates(turn, code, reschedule, head=head, from_day=day)
    turn.enter(State.TIME, t=ctype.code, r=reschedule)
    return reply(r.times_message(ctype, day, free, reschedule))


def confirm_card(turn: Turn, hold_id: int) -> Reply:
    """The confirm card for a live hold."""
    booking = own_booking(turn.session, hold_id, turn.user_id, lock=False)
    if booking.status == "confirmed":
        raise AlreadyDone("このご予約はすでに確定しています。", booking.id)
    if booking.status != "held" or booking.hold_expires_at <= turn.now:
        raise HoldExpired(type_code=booking.slot.type.code, slot_id=booking.slot_id)
    turn.enter(State.CONFIRM, t=booking.slot.type.code, h=booking.id, r=booking.reschedule_of)
    return reply(r.confirm_card(turn.ctx, booking))


def recover(turn: Turn, exc: BookingError) -> Reply:
    """A known failure: its text and the next thing the resident can do (never an error)."""
    mine = r.mine_chip()
    book_new = m.Choice(bt("label.book_new"), data={"a": "bk.types"})
    if isinstance(exc, AlreadyDone):
        booking = turn.session.get(Booking, exc.booking_id)
        turn.leave()
        if booking is not None and booking.status == "confirmed":
            return reply(r.confirmed_message(turn.ctx, booking, turn.settings, exc.text))
        return reply(m.text(exc.text, [mine, book_new, back_to_menu()]))
    if isinstance(exc, CancelDeadlinePassed):
        p = turn.ctx.profile
        turn.leave()
        return reply(m.text(f"{exc.text}\n{bt('call_us', phone=p.phone, hours=p.hours_text)}", [mine, back_to_menu()]))
    if isinstance(exc, TooManyBookings):
        turn.leave()
        return reply(m.text(f"{exc.text}\n{bt('limit')}", [mine, back_to_menu()]))
    if exc.type_code:
        wait = exc.slot_id if isinstance(exc, SlotFull) else None
        head = f"{exc.text}\n{bt('next_options')}"
        return dates(turn, exc.type_code, opt_int(turn.conversation.slots.get("r")), head=head, wait=wait)
    turn.leave()
    return reply(m.text(exc.text, [mine, book_new, back_to_menu()]))
