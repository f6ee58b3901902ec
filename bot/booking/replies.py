"""LINE messages of the booking flow (built with bot.line.messages; every button carries its own ids)."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from bot.booking.models import Booking, ConsultationType
from bot.booking.rules import TOKYO
from bot.booking.service import cancel_deadline
from bot.booking.settings import BookingSettings
from bot.booking.slots import Availability
from bot.booking.texts import bt, day_label, day_long, inner_quotes, moment_label, span, when
from bot.dialogue.menu import back_to_menu
from bot.line import messages as m
from bot.platform.context import BotContext

MAX_DATE_CHIPS = 8  # leaves room for picker, more, other types, my bookings and the menu within LINE's 13
MAX_TIME_CHIPS = 10  # with 「別の日にする」, my bookings and the menu


def mine_chip() -> m.Choice:
    """「予約の確認・変更・キャンセル」: on every booking message, as in the rich menu."""
    return m.Choice(bt("label.mine"), data={"a": "bk.list"})


def booking_line(booking: Booking) -> str:
    """「2026年12月3日(木) 10:00〜11:00「ボランタリー活動相談」」 for one booking."""
    slot = booking.slot
    return f"{when(slot.starts_at, slot.ends_at)}「{inner_quotes(slot.type.name)}」"


def place_label(ctype: ConsultationType) -> str:
    """「センターで対面」 etc."""
    return bt(f"place.{ctype.place}") if ctype.place in ("centre", "online", "phone") else ctype.place


def where(ctx: BotContext, ctype: ConsultationType) -> str:
    """Where the consultation happens, with the centre's address."""
    if ctype.place == "centre":
        text = bt("where.centre", centre=ctx.profile.name, address=ctx.profile.address)
    else:
        text = bt(f"where.{ctype.place}") if ctype.place in ("online", "phone") else ctype.place
    return f"{text}\n{ctype.place_detail}" if ctype.place_detail else text


def types_message(types: list[ConsultationType], extra: list[m.Choice] | None = None) -> dict:
    """The choice of consultation type."""
    chips = [m.Choice(t.label, data={"a": "bk.type", "t": t.code}) for t in types]
    return m.text(bt("choose_type"), [*chips, *(extra or []), mine_chip(), back_to_menu()])


def dates_message(
    ctype: ConsultationType, free: list[Availability], head: str, reschedule: int | None = None, wait: int | None = None
) -> dict:
    """Quick replies for the next dates with a free seat, a date picker and a way out."""
    days = sorted({a.slot.starts_at.astimezone(TOKYO).date() for a in free})
    extra = {"r": str(reschedule)} if reschedule else {}
    chips = []
    if wait:
        chips.append(m.Choice(bt("label.wait"), data={"a": "bk.wait", "s": str(wait)}))
    limit = MAX_DATE_CHIPS - len(chips)
    chips += [
        m.Choice(day_label(d), data={"a": "bk.date", "t": ctype.code, "d": d.isoformat(), **extra})
        for d in days[:limit]
    ]
    if len(days) > limit:
        after = days[limit - 1].isoformat()
        chips.append(m.Choice(bt("label.more"), data={"a": "bk.more", "t": ctype.code, "f": after, **extra}))
    chips.append(m.Choice(bt("label.types"), data={"a": "bk.types", **extra}))
    chips.append(mine_chip())
    message = m.text(head, [*chips, back_to_menu()])
    if days:
        picker = {
            "type": "datetimepicker",
            "label": bt("label.pick"),
            "data": urlencode({"a": "bk.pick", "t": ctype.code, **extra}),
            "mode": "date",
            "initial": days[0].isoformat(),
            "min": days[0].isoformat(),
            "max": days[-1].isoformat(),
        }
        message["quickReply"]["items"].insert(len(chips) - 1, {"type": "action", "action": picker})
    return message


def times_message(ctype: ConsultationType, day: date, free: list[Availability], reschedule: int | None) -> dict:
    """Quick replies for the free times of one day."""
    extra = {"r": str(reschedule)} if reschedule else {}
    chips = [
        m.Choice(span(a.slot.starts_at, a.slot.ends_at), data={"a": "bk.slot", "id": str(a.slot.id), **extra})
        for a in free[:MAX_TIME_CHIPS]
    ]
    chips.append(m.Choice(bt("label.other_day"), data={"a": "bk.type", "t": ctype.code, **extra}))
    return m.text(bt("times", day=day_long(day)), [*chips, mine_chip(), back_to_menu()])


def summary_message(booking: Booking) -> dict:
    """The hold: the chosen slot, until when it is held, and the next step (the optional summary, then confirm)."""
    slot, ctype = booking.slot, booking.slot.type
    text = bt(
        "summary",
        when=when(slot.starts_at, slot.ends_at),
        name=ctype.name,
        until=moment_label(booking.hold_expires_at),
        ask=ctype.ask_text,
    )
    chips = [
        m.Choice(bt("label.skip"), data={"a": "bk.skip", "h": str(booking.id)}),
        m.Choice(bt("label.abort"), data={"a": "bk.abort", "h": str(booking.id)}),
        mine_chip(),
    ]
    return m.text(text, chips)


def details(ctx: BotContext, booking: Booking, number: bool = True) -> str:
    """Type, date and time, place, what to bring and (once confirmed) the booking number."""
    slot, ctype = booking.slot, booking.slot.type
    text = bt(
        "details",
        name=ctype.name,
        when=when(slot.starts_at, slot.ends_at),
        place=where(ctx, ctype),
        bring=ctype.bring_text or "特にありません",
    )
    return f"{text}\n{bt('number', id=booking.id)}" if number else text


def confirm_card(ctx: BotContext, booking: Booking) -> dict:
    """The confirm card: what will be booked, with 「この内容で予約する」."""
    body = details(ctx, booking, number=False)
    if booking.summary:
        body += f"\nご相談内容：{booking.summary}"
    body += "\n\n" + bt("confirm_hint", until=moment_label(booking.hold_expires_at))
    code, hold = booking.slot.type.code, str(booking.id)
    buttons = [
        m.Choice(bt("label.confirm"), data={"a": "bk.confirm", "h": hold}),
        m.Choice(bt("label.redo"), data={"a": "bk.type", "t": code}),
        m.Choice(bt("label.abort"), data={"a": "bk.abort", "h": hold}),
    ]
    return m.card(m.Card(title=bt("confirm_title"), body=body, buttons=buttons), [mine_chip(), back_to_menu()])


def how_to_cancel(ctx: BotContext, booking: Booking, settings: BookingSettings) -> str:
    """Until when and how to cancel."""
    return bt("how_to_cancel", deadline=moment_label(cancel_deadline(booking, settings)), phone=ctx.profile.phone)


def confirmed_message(ctx: BotContext, booking: Booking, settings: BookingSettings, head: str) -> dict:
    """The confirmation: everything the resident needs on the day, and how to cancel."""
    body = f"{head}\n\n{details(ctx, booking)}\n\n{how_to_cancel(ctx, booking, settings)}"
    return m.text(body, [mine_chip(), back_to_menu()])


def booking_bubble(ctx: BotContext, booking: Booking) -> dict:
    """One booking in the list, with cancel and change buttons."""
    buttons = [
        m.Choice(bt("label.cancel"), data={"a": "bk.cancel", "id": str(booking.id)}),
        m.Choice(bt("label.resched"), data={"a": "bk.resched", "id": str(booking.id)}),
    ]
    return m.card(m.Card(title=booking.slot.type.name, body=details(ctx, booking), buttons=buttons))["contents"]


def carousel(alt: str, bubbles: list[dict]) -> dict:
    """A flex carousel (at most 12 bubbles)."""
    return {
        "type": "flex",
        "altText": m.clip(alt, m.MAX_ALT_TEXT),
        "contents": {"type": "carousel", "contents": bubbles[:12]},
    }


def offer_message(booking: Booking, now: datetime) -> dict:
    """The waitlist offer push: the seat is held until the offer expires."""
    slot = booking.slot
    text = bt(
        "offer",
        when=when(slot.starts_at, slot.ends_at),
        name=slot.type.name,
        until=moment_label(booking.hold_expires_at),
    )
    chips = [
        m.Choice(bt("label.book"), data={"a": "bk.confirm", "h": str(booking.id)}),
        m.Choice(bt("label.abort"), data={"a": "bk.abort", "h": str(booking.id)}),
        mine_chip(),
    ]
    return m.text(text, chips)
