"""The iCalendar feed of one consultation type: one event per slot that has bookings, for coordinators."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.models import Booking, ConsultationType, Slot

PAST_DAYS = 30
AHEAD_DAYS = 120


def type_calendar(session: Session, ctype: ConsultationType, now: datetime, centre: str = "") -> bytes:
    """VCALENDAR bytes: the type's booked slots from 30 days ago to 120 days ahead (UTC times)."""
    cal = Calendar()
    cal.add("prodid", "-//madoguchi//booking//JA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{ctype.name}（予約）")
    cal.add("x-wr-timezone", "Asia/Tokyo")
    query = (
        select(Slot)
        .where(Slot.type_id == ctype.id, Slot.status != "removed")
        .where(Slot.starts_at >= now - timedelta(days=PAST_DAYS), Slot.starts_at < now + timedelta(days=AHEAD_DAYS))
        .order_by(Slot.starts_at)
    )
    slots = list(session.scalars(query))
    bookings = _bookings_by_slot(session, [s.id for s in slots])
    for slot in slots:
        if bookings.get(slot.id):
            cal.add_component(_event(slot, ctype, bookings[slot.id], now, centre))
    return cal.to_ical()


def _bookings_by_slot(session: Session, slot_ids: list[int]) -> dict[int, list[Booking]]:
    out: dict[int, list[Booking]] = {}
    if not slot_ids:
        return out
    query = (
        select(Booking)
        .where(Booking.slot_id.in_(slot_ids), Booking.status.in_(("confirmed", "attended", "no_show")))
        .order_by(Booking.id)
    )
    for booking in session.scalars(query):
        out.setdefault(booking.slot_id, []).append(booking)
    return out


def _event(slot: Slot, ctype: ConsultationType, bookings: list[Booking], now: datetime, centre: str) -> Event:
    event = Event()
    event.add("uid", f"slot-{slot.id}@madoguchi")
    event.add("dtstamp", now)
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add("summary", f"{ctype.name}（予約 {len(bookings)}/{slot.capacity}）")
    lines = [
        f"予約番号 {b.id}: " + " ".join(filter(None, (b.organisation, b.summary or "（内容の記入なし）")))
        for b in bookings
    ]
    event.add("description", "\n".join(lines))
    if ctype.place == "centre" and centre:
        event.add("location", centre)
    event.add("status", "CONFIRMED")
    return event
