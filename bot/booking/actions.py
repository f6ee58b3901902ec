"""Postback handlers of the booking flow (`a=bk.*`, `a=book`); each re-checks the database, never the state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.booking import replies as r
from bot.booking import service
from bot.booking.errors import AlreadyDone, CancelDeadlinePassed, NotFound
from bot.booking.mine import my_bookings
from bot.booking.seats import own_booking
from bot.booking.steps import State, Turn, confirm_card, dates, int_of, on_day, opt_int, reply, type_or_default
from bot.booking.steps import active_types as list_types
from bot.booking.texts import bt, when
from bot.booking.waitlist import join_waitlist, leave_waitlist
from bot.dialogue.menu import back_to_menu
from bot.dialogue.reply import Reply
from bot.line import messages as m


def choose_type(turn: Turn, data: dict) -> Reply:
    """The list of consultation types."""
    turn.enter(State.TYPE, r=opt_int(data.get("r")))
    return reply(r.types_message(list_types(turn.session)))


def pick_type(turn: Turn, data: dict) -> Reply:
    """A type chosen (also the answer cards' 「この相談を予約」): its next free dates."""
    return dates(turn, data.get("t"), opt_int(data.get("r")))


def pick_date(turn: Turn, data: dict) -> Reply:
    """A date chip, or the date picker (its choice arrives in params)."""
    raw = (data.get("params") or {}).get("date") if data.get("a") == "bk.pick" else data.get("d")
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        raise NotFound("日付がわかりませんでした。", type_code=data.get("t") or "general") from None
    return on_day(turn, data.get("t") or "", day, data.get("r"))


def more_dates(turn: Turn, data: dict) -> Reply:
    """Dates after the last one shown."""
    try:
        after = date.fromordinal(date.fromisoformat(str(data.get("f"))).toordinal() + 1)
    except ValueError:
        after = None
    ctype = type_or_default(turn, data.get("t"))
    return dates(turn, ctype.code, opt_int(data.get("r")), head=bt("next_options"), from_day=after)


def pick_slot(turn: Turn, data: dict) -> Reply:
    """A time chosen: hold the seat, then ask the optional summary (a change keeps the old summary)."""
    reschedule = opt_int(data.get("r"))
    if reschedule:
        old = _changeable(turn, reschedule)
    booking = service.hold_slot(turn.session, turn.user_id, int_of(data, "id"), turn.now, turn.settings, reschedule)
    if reschedule:
        booking.organisation, booking.summary = old.organisation, old.summary
        return confirm_card(turn, booking.id)
    turn.enter(State.SUMMARY, t=booking.slot.type.code, h=booking.id)
    return reply(r.summary_message(booking))


def skip_summary(turn: Turn, data: dict) -> Reply:
    """「スキップ」: straight to the confirm card."""
    return confirm_card(turn, int_of(data, "h"))


def confirm(turn: Turn, data: dict) -> Reply:
    """「この内容で予約する」 (or a waitlist offer's 「予約する」): the booking is confirmed once."""
    booking = service.confirm_booking(turn.session, int_of(data, "h"), turn.user_id, turn.now, turn.settings)
    turn.leave()
    head = bt("rescheduled") if booking.reschedule_of else bt("confirmed")
    return reply(r.confirmed_message(turn.ctx, booking, turn.settings, head))


def abort(turn: Turn, data: dict) -> Reply:
    """「やめる」: the held seat is let go."""
    hold = opt_int(data.get("h"))
    if hold:
        service.release_hold(turn.session, hold, turn.user_id, turn.now)
    turn.leave()
    return reply(m.text(bt("aborted"), [m.Choice(bt("label.mine"), data={"a": "bk.list"}), back_to_menu()]))


def list_mine(turn: Turn, data: dict) -> Reply:
    """「予約の確認・変更」."""
    return my_bookings(turn.ctx, turn.session, turn.conversation)


def _changeable(turn: Turn, booking_id: int):
    booking = own_booking(turn.session, booking_id, turn.user_id, lock=False)
    if booking.status in ("cancelled", "expired"):
        raise AlreadyDone("このご予約はすでにキャンセルされています。", booking.id)
    if booking.status != "confirmed" or booking.slot.starts_at <= turn.now:
        raise NotFound("このご予約は変更できません。")
    if turn.now > service.cancel_deadline(booking, turn.settings):
        raise CancelDeadlinePassed()
    return booking


def ask_cancel(turn: Turn, data: dict) -> Reply:
    """「キャンセルする」: ask once more."""
    booking = _changeable(turn, int_of(data, "id"))
    turn.enter(State.CANCEL, b=booking.id)
    slot, bid = booking.slot, str(booking.id)
    chips = [
        m.Choice(bt("label.cancel_yes"), data={"a": "bk.cancel_yes", "id": bid}),
        m.Choice(bt("label.cancel_no"), data={"a": "bk.list"}),
    ]
    return reply(m.text(bt("cancel_ask", when=when(slot.starts_at, slot.ends_at), name=slot.type.name), chips))


def cancel(turn: Turn, data: dict) -> Reply:
    """「はい、キャンセルする」: cancelled once; a second tap says so."""
    booking = service.cancel_booking(turn.session, int_of(data, "id"), turn.user_id, turn.now, turn.settings)
    turn.leave()
    slot = booking.slot
    chips = [m.Choice(bt("label.book_new"), data={"a": "bk.types"}), m.Choice(bt("label.mine"), data={"a": "bk.list"})]
    text = bt("cancelled", when=when(slot.starts_at, slot.ends_at), name=slot.type.name)
    return reply(m.text(text, [*chips, back_to_menu()]))


def reschedule(turn: Turn, data: dict) -> Reply:
    """「日時を変更する」: choose a new time; the old booking is cancelled only when the new one is confirmed."""
    booking = _changeable(turn, int_of(data, "id"))
    return dates(turn, booking.slot.type.code, booking.id, head=bt("resched"))


def wait(turn: Turn, data: dict) -> Reply:
    """「キャンセル待ちに登録」 on a full slot."""
    entry = join_waitlist(turn.session, turn.user_id, int_of(data, "s"), turn.now, turn.settings)
    turn.leave()
    slot = entry.slot
    chips = [m.Choice(bt("label.mine"), data={"a": "bk.list"}), back_to_menu()]
    return reply(m.text(bt("waiting", when=when(slot.starts_at, slot.ends_at)), chips))


def unwait(turn: Turn, data: dict) -> Reply:
    """「キャンセル待ちをやめる」."""
    leave_waitlist(turn.session, int_of(data, "w"), turn.user_id, turn.now)
    turn.leave()
    return reply(m.text(bt("unwaited"), [m.Choice(bt("label.mine"), data={"a": "bk.list"}), back_to_menu()]))


POSTBACKS: dict[str, Callable[[Turn, dict], Reply]] = {
    "book": pick_type,
    "bk.types": choose_type,
    "bk.type": pick_type,
    "bk.date": pick_date,
    "bk.pick": pick_date,
    "bk.more": more_dates,
    "bk.slot": pick_slot,
    "bk.skip": skip_summary,
    "bk.confirm": confirm,
    "bk.abort": abort,
    "bk.list": list_mine,
    "bk.cancel": ask_cancel,
    "bk.cancel_yes": cancel,
    "bk.resched": reschedule,
    "bk.wait": wait,
    "bk.unwait": unwait,
}
