"""Booking jobs for the one scheduler process: plain functions of the services, safe to run again any time.

Each derives its work from the database. A reminder or offer notice is marked sent with a conditional UPDATE
(… WHERE reminded_… IS NULL) in the same transaction that queues its outbox row, so a second run, a second
worker or a restart finds nothing to do; the outbox then sends each row once (push, with a retry key).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.booking import replies as r
from bot.booking.models import Booking, Slot, WaitlistEntry
from bot.booking.seats import release_expired_holds
from bot.booking.service import day_before_due
from bot.booking.settings import BookingSettings, booking_settings
from bot.booking.slots import generate_slots
from bot.booking.texts import bt
from bot.booking.waitlist import offer_seats
from bot.dialogue.menu import back_to_menu
from bot.line import messages as m
from bot.line.delivery import deliver
from bot.line.outbox import enqueue
from bot.platform.db import unit_of_work
from bot.platform.services import Services

log = logging.getLogger(__name__)
META = {"intent": "booking"}


def _now(svc: Services, now: datetime | None) -> datetime:
    return now or svc.context.now()


def _settings(svc: Services, session: Session) -> BookingSettings:
    return booking_settings(session, tuple(svc.context.profile.closures))


def generate_booking_slots(svc: Services, now: datetime | None = None) -> int:
    """Materialise rule slots up to each type's booking horizon (existing and removed slots are kept)."""
    now = _now(svc, now)
    with unit_of_work(svc.session_factory) as session:
        return generate_slots(session, now.date(), _settings(svc, session))


def expire_booking_holds(svc: Services, now: datetime | None = None) -> int:
    """Free the seats of holds and offers that ran out, and offer them to the next person waiting."""
    now = _now(svc, now)
    with unit_of_work(svc.session_factory) as session:
        settings = _settings(svc, session)
        slot_ids = release_expired_holds(session, now)
        for slot_id in slot_ids:
            offer_seats(session, slot_id, now, settings)
    return len(slot_ids)


def offer_waitlist_seats(svc: Services, now: datetime | None = None) -> int:
    """Offer free seats to waiting people, then tell each new offer's holder once (push)."""
    now = _now(svc, now)
    with unit_of_work(svc.session_factory) as session:
        settings = _settings(svc, session)
        waiting = select(WaitlistEntry.slot_id).where(WaitlistEntry.status == "waiting").distinct()
        for slot_id in session.scalars(waiting).all():
            offer_seats(session, slot_id, now, settings)
        ids = _notify_offers(session, now)
    deliver(svc.session_factory, svc.gateway, ids)
    return len(ids)


def _notify_offers(session: Session, now: datetime) -> list[int]:
    query = select(WaitlistEntry).where(WaitlistEntry.status == "offered", WaitlistEntry.notified_at.is_(None))
    outbox_ids = []
    for entry in session.scalars(query).all():
        if not _mark(session, WaitlistEntry, entry.id, "notified_at", now):
            continue
        booking = session.get(Booking, entry.booking_id) if entry.booking_id else None
        if booking is None or booking.status != "held" or entry.user.unfollowed_at is not None:
            continue
        items = enqueue(session, entry.user_id, entry.user.line_user_id, [r.offer_message(booking, now)], None, META)
        outbox_ids += [i.id for i in items]
    return outbox_ids


def _mark(session: Session, model, row_id: int, column: str, now: datetime) -> bool:
    """Set a sent-mark only if nobody set it before (exactly once across runs and processes)."""
    col = getattr(model, column)
    result = session.execute(
        update(model)
        .where(model.id == row_id, col.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_booking_reminders(svc: Services, now: datetime | None = None) -> int:
    """Send due reminders (the day before; optionally 2 hours before), each exactly once; returns pushes queued."""
    now = _now(svc, now)
    with unit_of_work(svc.session_factory) as session:
        ids = queue_reminders(session, svc.context, now, _settings(svc, session))
    deliver(svc.session_factory, svc.gateway, ids)
    return len(ids)


def queue_reminders(session: Session, ctx, now: datetime, settings: BookingSettings) -> list[int]:
    """Mark and queue every due reminder in this transaction; returns the outbox ids."""
    query = (
        select(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.status == "confirmed", Slot.starts_at > now, Slot.starts_at <= now + timedelta(days=2))
        .where(Booking.reminded_day_before_at.is_(None) | Booking.reminded_2h_at.is_(None))
        .order_by(Slot.starts_at)
    )
    outbox_ids = []
    for booking in session.scalars(query).all():
        kind = _due(booking, now, settings)
        if kind is None or not _mark_reminder(session, booking, kind, now):
            continue
        if booking.user.unfollowed_at is not None:
            continue  # marked, but a blocked account cannot be pushed to
        head = bt("reminder_2h") if kind == "2h" else bt("reminder_day")
        body = f"{head}\n{r.details(ctx, booking)}\n\n{r.how_to_cancel(ctx, booking, settings)}"
        message = m.text(body, [r.mine_chip(), back_to_menu()])
        items = enqueue(session, booking.user_id, booking.user.line_user_id, [message], None, META)
        outbox_ids += [i.id for i in items]
    return outbox_ids


def _due(booking: Booking, now: datetime, settings: BookingSettings) -> str | None:
    starts = booking.slot.starts_at
    if settings.reminder_2h and booking.reminded_2h_at is None and now >= starts - timedelta(hours=2):
        return "2h"
    if booking.reminded_day_before_at is None and now >= day_before_due(starts, settings):
        return "day"
    return None


def _mark_reminder(session: Session, booking: Booking, kind: str, now: datetime) -> bool:
    if kind == "day":
        return _mark(session, Booking, booking.id, "reminded_day_before_at", now)
    if not _mark(session, Booking, booking.id, "reminded_2h_at", now):
        return False
    _mark(session, Booking, booking.id, "reminded_day_before_at", now)  # one message when both are due
    return True


JOBS = (
    (generate_booking_slots, 3600),
    (expire_booking_holds, 60),
    (offer_waitlist_seats, 60),
    (send_booking_reminders, 60),
)
