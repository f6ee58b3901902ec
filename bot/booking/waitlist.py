"""The waitlist: join a full slot, and offer a freed seat to the first person waiting (the offer expires).

An offer is a hold on the freed seat in the waiting person's name, lasting `settings.offer_minutes`; nobody
else can take that seat meanwhile. The worker notifies them (push) and ends offers that ran out, which frees
the seat for the next person in line. The per-user limit and overlaps are checked again when they confirm.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.booking.errors import AlreadyBooked, BookingClosed, BookingError, NotFound
from bot.booking.models import OPEN, Booking, Slot, WaitlistEntry
from bot.booking.seats import check_user_may_book, lock_user, release_expired_holds, take_seat
from bot.booking.settings import BookingSettings
from bot.booking.slots import closed_reason, taken_seats


def join_waitlist(
    session: Session, user_id: int, slot_id: int, now: datetime, settings: BookingSettings
) -> WaitlistEntry:
    """Wait for a seat in a slot that can still be booked (joining twice returns the same entry)."""
    lock_user(session, user_id)
    slot = session.get(Slot, slot_id)
    if slot is None or slot.status != "open":
        raise BookingClosed("この時間の枠は受付を終了しています。")
    if closed_reason(slot, now, settings) is not None:
        raise BookingClosed(type_code=slot.type.code, slot_id=slot.id)
    seated = select(Booking.id).where(
        Booking.slot_id == slot_id, Booking.user_id == user_id, Booking.status.in_(OPEN), Booking.seat_no.is_not(None)
    )
    if session.scalar(seated) is not None:
        raise AlreadyBooked(type_code=slot.type.code, slot_id=slot.id)
    live = _live_entry(session, slot_id, user_id)
    if live is not None:
        return live
    entry = WaitlistEntry(slot_id=slot_id, user_id=user_id, status="waiting", created_at=now)
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        return _live_entry(session, slot_id, user_id)
    return entry


def _live_entry(session: Session, slot_id: int, user_id: int) -> WaitlistEntry | None:
    query = select(WaitlistEntry).where(
        WaitlistEntry.slot_id == slot_id,
        WaitlistEntry.user_id == user_id,
        WaitlistEntry.status.in_(("waiting", "offered")),
    )
    return session.scalar(query)


def leave_waitlist(session: Session, entry_id: int, user_id: int, now: datetime) -> WaitlistEntry:
    """Stop waiting; an open offer's seat is released."""
    entry = session.scalar(select(WaitlistEntry).where(WaitlistEntry.id == entry_id).with_for_update())
    if entry is None or entry.user_id != user_id:
        raise NotFound("このキャンセル待ちは見つかりませんでした。")
    if entry.status in ("waiting", "offered"):
        if entry.status == "offered" and entry.booking_id:
            offer = session.get(Booking, entry.booking_id)
            if offer is not None and offer.status == "held":
                offer.status, offer.seat_no = "expired", None
        entry.status = "cancelled"
    return entry


def waiting_entries(session: Session, user_id: int, now: datetime) -> list[WaitlistEntry]:
    """The resident's live waitlist entries for future slots."""
    query = (
        select(WaitlistEntry)
        .join(Slot, Slot.id == WaitlistEntry.slot_id)
        .where(WaitlistEntry.user_id == user_id, WaitlistEntry.status.in_(("waiting", "offered")), Slot.starts_at > now)
        .order_by(Slot.starts_at)
    )
    return list(session.scalars(query))


def offer_seats(session: Session, slot_id: int, now: datetime, settings: BookingSettings) -> list[WaitlistEntry]:
    """Offer each free seat of a slot to the first person waiting; returns the new offers."""
    slot = session.scalar(select(Slot).where(Slot.id == slot_id).with_for_update())
    if slot is None:
        return []
    release_expired_holds(session, now, slot.id)
    waiting = select(WaitlistEntry).where(WaitlistEntry.slot_id == slot_id, WaitlistEntry.status == "waiting")
    if closed_reason(slot, now, settings) is not None:
        for entry in session.scalars(waiting):
            entry.status = "expired"
        return []
    offers = []
    free = slot.capacity - taken_seats(session, [slot.id], now)[slot.id]
    for entry in session.scalars(waiting.order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all():
        if free <= 0:
            break
        if _offer(session, entry, slot, now, settings):
            offers.append(entry)
            free -= 1
    return offers


def _offer(session: Session, entry: WaitlistEntry, slot: Slot, now: datetime, settings: BookingSettings) -> bool:
    try:
        check_user_may_book(session, entry.user_id, slot, now, settings)
        booking = take_seat(session, slot, entry.user_id, now + timedelta(minutes=settings.offer_minutes), None)
    except BookingError:
        entry.status = "expired"  # not eligible now (limit, overlap, already seated): the next in line
        return False
    entry.status, entry.booking_id, entry.offered_at = "offered", booking.id, now
    return True
