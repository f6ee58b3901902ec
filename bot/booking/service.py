"""Booking domain functions: hold, confirm, cancel, attendance. Session first; flush, never commit.

Double booking is prevented by the database: the slot row is locked (SELECT … FOR UPDATE on PostgreSQL; on
SQLite every transaction holds the write lock from BEGIN IMMEDIATE), seats are counted from bookings inside
that transaction, and the unique (slot_id, seat_no) constraint rejects a second booking of the same seat even
if a lock were missed. The user's row is locked first (always user → slot) for the per-user limit and overlaps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.booking.errors import (
    AlreadyBooked,
    AlreadyDone,
    BookingClosed,
    CancelDeadlinePassed,
    HoldExpired,
    NotFound,
)
from bot.booking.models import OPEN, Booking, Slot, WaitlistEntry
from bot.booking.rules import TOKYO, deadline, hhmm
from bot.booking.seats import check_user_may_book, lock_user, own_booking, release_expired_holds, take_seat
from bot.booking.settings import BookingSettings
from bot.booking.slots import closed_reason
from bot.booking.waitlist import offer_seats


def hold_slot(
    session: Session,
    user_id: int,
    slot_id: int,
    now: datetime,
    settings: BookingSettings,
    reschedule_of: int | None = None,
) -> Booking:
    """Reserve a seat for `settings.hold_minutes`; the resident's earlier unfinished holds are let go."""
    lock_user(session, user_id)
    slot = _bookable_slot(session, slot_id, now, settings)
    release_expired_holds(session, now, slot.id)
    mine = _seated(session, slot.id, user_id)
    if mine is not None and mine.status == "held":
        mine.hold_expires_at = now + timedelta(minutes=settings.hold_minutes)
        return mine
    if mine is not None:
        raise AlreadyBooked(type_code=slot.type.code, slot_id=slot.id)
    _release_my_holds(session, user_id, now)
    check_user_may_book(session, user_id, slot, now, settings, exclude=(reschedule_of,))
    return take_seat(session, slot, user_id, now + timedelta(minutes=settings.hold_minutes), reschedule_of)


def _bookable_slot(session: Session, slot_id: int, now: datetime, settings: BookingSettings) -> Slot:
    slot = session.scalar(select(Slot).where(Slot.id == slot_id).with_for_update())
    if slot is None or slot.status == "removed":
        raise BookingClosed("この時間の枠はなくなりました。")
    if closed_reason(slot, now, settings) is not None:
        raise BookingClosed(type_code=slot.type.code, slot_id=slot.id)
    return slot


def _seated(session: Session, slot_id: int, user_id: int) -> Booking | None:
    query = select(Booking).where(Booking.slot_id == slot_id, Booking.user_id == user_id, Booking.seat_no.is_not(None))
    return session.scalar(query)


def _release_my_holds(session: Session, user_id: int, now: datetime) -> None:
    offered = select(WaitlistEntry.booking_id).where(
        WaitlistEntry.status == "offered", WaitlistEntry.booking_id.is_not(None)
    )
    query = select(Booking).where(Booking.user_id == user_id, Booking.status == "held", Booking.id.not_in(offered))
    for booking in session.scalars(query):
        booking.status, booking.seat_no, booking.updated_at = "expired", None, now


def note_booking(
    session: Session, booking_id: int, user_id: int, organisation: str | None, summary: str | None
) -> Booking:
    """Keep the resident's optional organisation and topic on their booking."""
    booking = own_booking(session, booking_id, user_id)
    booking.organisation = (organisation or "").strip()[:200] or None
    booking.summary = (summary or "").strip()[:1000] or None
    return booking


def confirm_booking(
    session: Session, booking_id: int, user_id: int, now: datetime, settings: BookingSettings
) -> Booking:
    """Turn a live hold into a booking; a rescheduled booking's old seat is freed in the same transaction."""
    lock_user(session, user_id)
    booking = own_booking(session, booking_id, user_id)
    if booking.status in ("confirmed", "attended", "no_show"):
        raise AlreadyDone("このご予約はすでに確定しています。", booking.id)
    code = booking.slot.type.code
    if booking.status != "held" or booking.hold_expires_at is None or booking.hold_expires_at <= now:
        if booking.status == "held":
            release_expired_holds(session, now, booking.slot_id)
        raise HoldExpired(type_code=code, slot_id=booking.slot_id)
    check_user_may_book(session, user_id, booking.slot, now, settings, exclude=(booking.id, booking.reschedule_of))
    booking.status, booking.confirmed_at, booking.hold_expires_at = "confirmed", now, None
    _skip_past_reminders(booking, now, settings)
    session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.booking_id == booking.id, WaitlistEntry.status == "offered")
        .values(status="accepted")
    )
    if booking.reschedule_of:
        old = own_booking(session, booking.reschedule_of, user_id)
        if old.status == "confirmed":
            _free(old, now, "user")
            session.flush()
            offer_seats(session, old.slot_id, now, settings)
    session.flush()
    return booking


def _skip_past_reminders(booking: Booking, now: datetime, settings: BookingSettings) -> None:
    if now >= day_before_due(booking.slot.starts_at, settings):
        booking.reminded_day_before_at = now  # the confirmation itself is the reminder
    if now >= booking.slot.starts_at - timedelta(hours=2):
        booking.reminded_2h_at = now


def day_before_due(starts_at: datetime, settings: BookingSettings) -> datetime:
    """When the day-before reminder of a slot is due."""
    day = starts_at.astimezone(TOKYO).date() - timedelta(days=1)
    return datetime.combine(day, hhmm(settings.reminder_time), tzinfo=TOKYO)


def cancel_deadline(booking: Booking, settings: BookingSettings) -> datetime:
    """Until when the resident can cancel or change online."""
    ctype = booking.slot.type
    return deadline(booking.slot.starts_at, ctype.cancel_business_days, ctype.cutoff_time, settings.closures)


def cancel_booking(
    session: Session, booking_id: int, user_id: int, now: datetime, settings: BookingSettings, by: str = "user"
) -> Booking:
    """Cancel (residents before the deadline; staff at any time); the freed seat goes to the waitlist."""
    lock_user(session, user_id)
    booking = own_booking(session, booking_id, user_id)
    if booking.status in ("cancelled", "expired"):
        raise AlreadyDone("このご予約はすでにキャンセルされています。", booking.id)
    if booking.status not in OPEN:
        raise NotFound("このご予約は変更できません。")
    if by == "user" and booking.status == "confirmed" and now > cancel_deadline(booking, settings):
        raise CancelDeadlinePassed(type_code=booking.slot.type.code, slot_id=booking.slot_id)
    _free(booking, now, by)
    session.flush()
    offer_seats(session, booking.slot_id, now, settings)
    return booking


def _free(booking: Booking, now: datetime, by: str) -> None:
    booking.status, booking.seat_no, booking.hold_expires_at = "cancelled", None, None
    booking.cancelled_at, booking.cancelled_by = now, by


def release_hold(session: Session, booking_id: int, user_id: int, now: datetime) -> None:
    """「やめる」 during booking: let the held seat go (nothing happens for other states)."""
    booking = own_booking(session, booking_id, user_id)
    if booking.status == "held":
        booking.status, booking.seat_no, booking.updated_at = "expired", None, now


def set_attendance(session: Session, booking_id: int, status: str) -> Booking:
    """Staff mark a confirmed booking attended or no-show (or undo it back to confirmed)."""
    if status not in ("attended", "no_show", "confirmed"):
        raise NotFound("不明な状態です。")
    booking = session.scalar(select(Booking).where(Booking.id == booking_id).with_for_update())
    if booking is None or booking.status not in ("confirmed", "attended", "no_show"):
        raise NotFound("確定済みの予約だけを記録できます。")
    booking.status = status
    return booking


def upcoming_bookings(session: Session, user_id: int, now: datetime) -> list[Booking]:
    """The resident's confirmed bookings that have not started yet, soonest first."""
    query = (
        select(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.user_id == user_id, Booking.status == "confirmed", Slot.starts_at > now)
        .order_by(Slot.starts_at)
    )
    return list(session.scalars(query))
