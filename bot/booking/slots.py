"""Slots: generated from rules, added/closed/removed by staff, listed with occupancy derived from bookings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.booking.errors import BookingError
from bot.booking.models import SEATED, Booking, ConsultationType, Slot, SlotRule
from bot.booking.rules import TOKYO, Recurrence, Window, is_closed, occurrences
from bot.booking.settings import BookingSettings


@dataclass(frozen=True)
class Availability:
    """A slot with its seats taken, derived from bookings at `now`."""

    slot: Slot
    taken: int

    @property
    def free(self) -> int:
        """Seats still free (never negative, even if staff lowered the capacity)."""
        return max(0, self.slot.capacity - self.taken)


def recurrence(rule: SlotRule) -> Recurrence:
    """The pure recurrence of a rule row."""
    return Recurrence(
        weekdays=tuple(rule.weekdays or ()),
        nth=rule.nth,
        times=tuple(rule.times or ()),
        start_time=rule.start_time,
        end_time=rule.end_time,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
        skip_holidays=rule.skip_holidays,
    )


def type_window(ctype: ConsultationType, settings: BookingSettings) -> Window:
    """The booking window of a type (its own days, or the setting)."""
    return Window(ctype.window_days or settings.window_days, ctype.cutoff_business_days, ctype.cutoff_time)


def generate_slots(session: Session, today: date, settings: BookingSettings, days: int | None = None) -> int:
    """Create the slots every active rule produces up to the booking horizon; existing ones are left alone."""
    created = 0
    for ctype in session.scalars(select(ConsultationType).where(ConsultationType.active)):
        horizon = days if days is not None else type_window(ctype, settings).days + 1
        end = today + timedelta(days=horizon)
        lo = datetime.combine(today, datetime.min.time(), tzinfo=TOKYO)
        existing = set(
            session.scalars(select(Slot.starts_at).where(Slot.type_id == ctype.id, Slot.starts_at >= lo)).all()
        )
        for rule in ctype.rules:
            if not rule.active:
                continue
            for begins, ends in occurrences(
                recurrence(rule), ctype.duration_minutes, ctype.buffer_minutes, today, end, settings.closures
            ):
                if begins in existing:
                    continue
                existing.add(begins)
                capacity = rule.capacity or ctype.capacity
                session.add(Slot(type_id=ctype.id, starts_at=begins, ends_at=ends, capacity=capacity, rule_id=rule.id))
                created += 1
    session.flush()
    return created


def taken_seats(session: Session, slot_ids: list[int], now: datetime) -> dict[int, int]:
    """Seats in use per slot: seated bookings, not counting holds that have already run out."""
    if not slot_ids:
        return {}
    live = or_(Booking.status != "held", Booking.hold_expires_at > now)
    rows = session.execute(
        select(Booking.slot_id, func.count())
        .where(Booking.slot_id.in_(slot_ids), Booking.seat_no.is_not(None), Booking.status.in_(SEATED), live)
        .group_by(Booking.slot_id)
    )
    return defaultdict(int, dict(rows.all()))


def slots_between(session: Session, start: datetime, end: datetime, type_id: int | None = None) -> list[Slot]:
    """Slots (not removed) starting in [start, end), oldest first."""
    query = select(Slot).where(Slot.starts_at >= start, Slot.starts_at < end, Slot.status != "removed")
    if type_id is not None:
        query = query.where(Slot.type_id == type_id)
    return list(session.scalars(query.order_by(Slot.starts_at, Slot.type_id)))


def with_occupancy(session: Session, slots: list[Slot], now: datetime) -> list[Availability]:
    """Each slot with its taken seats, counted in this transaction."""
    taken = taken_seats(session, [s.id for s in slots], now)
    return [Availability(s, taken[s.id]) for s in slots]


BOOKABLE = "bookable"


def closed_reason(slot: Slot, now: datetime, settings: BookingSettings) -> str | None:
    """Why residents cannot book this slot at `now` whatever its seats, or None when they can.

    The one rule for the resident's date chips, holds, the waitlist and the staff calendar: the slot is open
    and its type active, it has not started, the centre is not closed that day, it is inside the type's window
    and before its cut-off (counted in business days: weekends, jpholiday's public holidays and closures skipped).
    """
    if slot.status != "open":
        return "stopped"
    if not slot.type.active:
        return "type_inactive"
    if slot.starts_at <= now:
        return "past"
    if is_closed(slot.starts_at.astimezone(TOKYO).date(), settings.closures):
        return "closed_day"
    window = type_window(slot.type, settings)
    if slot.starts_at.astimezone(TOKYO).date() > window.last_day(now):
        return "not_yet"
    if now > window.closes_at(slot.starts_at, settings.closures):
        return "deadline"
    return None


def bookability(availability: Availability, now: datetime, settings: BookingSettings) -> str:
    """BOOKABLE, "full" (every seat booked or held) or closed_reason's answer: what residents see for a slot."""
    reason = closed_reason(availability.slot, now, settings)
    if reason is not None:
        return reason
    return BOOKABLE if availability.free > 0 else "full"


def bookable_slots(
    session: Session, ctype: ConsultationType, now: datetime, settings: BookingSettings, on: date | None = None
) -> list[Availability]:
    """Open slots of a type with a free seat that can be booked at `now` (never past ones), soonest first."""
    window = type_window(ctype, settings)
    if on is not None:
        start = max(now, datetime.combine(on, datetime.min.time(), tzinfo=TOKYO))
        end = datetime.combine(on + timedelta(days=1), datetime.min.time(), tzinfo=TOKYO)
    else:
        start = now
        end = datetime.combine(window.last_day(now) + timedelta(days=1), datetime.min.time(), tzinfo=TOKYO)
    query = select(Slot).where(
        and_(Slot.type_id == ctype.id, Slot.status == "open", Slot.starts_at > start, Slot.starts_at < end)
    )
    slots = [s for s in session.scalars(query.order_by(Slot.starts_at)) if closed_reason(s, now, settings) is None]
    return [a for a in with_occupancy(session, slots, now) if bookability(a, now, settings) == BOOKABLE]


def add_slot(
    session: Session, ctype: ConsultationType, starts_at: datetime, capacity: int | None = None, note: str | None = None
) -> Slot:
    """A one-off slot (or reopen the removed slot at the same time)."""
    existing = session.scalar(select(Slot).where(Slot.type_id == ctype.id, Slot.starts_at == starts_at))
    if existing is not None:
        if existing.status != "removed":
            raise BookingError("同じ日時の枠がすでにあります。")
        existing.status, existing.note = "open", note
        existing.capacity = capacity or existing.capacity
        return existing
    slot = Slot(
        type_id=ctype.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=ctype.duration_minutes),
        capacity=capacity or ctype.capacity,
        note=note,
    )
    session.add(slot)
    session.flush()
    return slot


def set_slot_status(session: Session, slot_id: int, status: str, now: datetime) -> Slot:
    """Close, reopen or remove a slot; a slot with live bookings cannot be removed (close it instead)."""
    slot = session.scalar(select(Slot).where(Slot.id == slot_id).with_for_update())
    if slot is None:
        raise BookingError("枠が見つかりません。")
    if status not in ("open", "closed", "removed"):
        raise BookingError("不明な状態です。")
    if status == "removed" and taken_seats(session, [slot.id], now)[slot.id]:
        raise BookingError("予約が入っている枠は削除できません。先に受付を締め切り、予約を調整してください。")
    slot.status = status
    return slot
