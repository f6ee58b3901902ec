"""Seats: the row locks, the seat count and the checks every booking change shares (used by service and waitlist).

Order of locks is always the resident's row, then the slot's row, so concurrent changes cannot deadlock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.booking.errors import NotFound, Overlap, SlotFull, TooManyBookings
from bot.booking.models import OPEN, Booking, Slot, WaitlistEntry
from bot.booking.settings import BookingSettings
from bot.platform.models import LineUser


def lock_user(session: Session, user_id: int) -> LineUser:
    """The resident's row, locked until commit (serialises one person's booking changes)."""
    user = session.scalar(select(LineUser).where(LineUser.id == user_id).with_for_update())
    if user is None:
        raise NotFound()
    return user


def release_expired_holds(session: Session, now: datetime, slot_id: int | None = None) -> list[int]:
    """Free the seats of holds that ran out (and end their waitlist offers); returns the freed slots."""
    query = select(Booking.id, Booking.slot_id).where(Booking.status == "held", Booking.hold_expires_at <= now)
    if slot_id is not None:
        query = query.where(Booking.slot_id == slot_id)
    rows = session.execute(query).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    session.execute(update(Booking).where(Booking.id.in_(ids)).values(status="expired", seat_no=None, updated_at=now))
    session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.booking_id.in_(ids), WaitlistEntry.status == "offered")
        .values(status="expired")
    )
    return sorted({r.slot_id for r in rows})


def check_user_may_book(
    session: Session, user_id: int, slot: Slot, now: datetime, settings: BookingSettings, exclude=()
) -> None:
    """Raise TooManyBookings or Overlap (the caller holds the user's row lock)."""
    live = (Booking.status != "held") | (Booking.hold_expires_at > now)
    query = (
        select(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.user_id == user_id, Booking.status.in_(OPEN), live, Slot.starts_at > now)
        .where(Booking.slot_id != slot.id)
    )
    others = [b for b in session.scalars(query) if b.id not in exclude]
    for other in others:
        if other.slot.starts_at < slot.ends_at and slot.starts_at < other.slot.ends_at:
            raise Overlap(type_code=slot.type.code, slot_id=slot.id)
    if len(others) >= settings.max_open_per_user:
        text = f"同時にお持ちいただけるご予約は{settings.max_open_per_user}件までです。"
        raise TooManyBookings(text, type_code=slot.type.code, slot_id=slot.id)


def take_seat(session: Session, slot: Slot, user_id: int, expires: datetime, reschedule_of: int | None) -> Booking:
    """Insert a held booking on the lowest free seat of a locked slot, or raise SlotFull."""
    taken = set(
        session.scalars(select(Booking.seat_no).where(Booking.slot_id == slot.id, Booking.seat_no.is_not(None)))
    )
    seat = next((n for n in range(1, slot.capacity + 1) if n not in taken), None)
    if seat is None:
        raise SlotFull(type_code=slot.type.code, slot_id=slot.id)
    booking = Booking(
        slot_id=slot.id,
        user_id=user_id,
        seat_no=seat,
        status="held",
        hold_expires_at=expires,
        reschedule_of=reschedule_of,
    )
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as exc:  # the constraint caught a race the lock should have prevented
        raise SlotFull(type_code=slot.type.code, slot_id=slot.id) from exc
    return booking


def own_booking(session: Session, booking_id: int, user_id: int, lock: bool = True) -> Booking:
    """A booking of this resident (locked), or NotFound."""
    query = select(Booking).where(Booking.id == booking_id)
    booking = session.scalar(query.with_for_update() if lock else query)
    if booking is None or booking.user_id != user_id:
        raise NotFound()
    return booking
