"""Erasure on request: `forget_resident` removes or anonymises everything held about one resident.

Order: the resident's conversation row is locked first (the webhook's lock order), then their user row (the
booking code's). Live waitlist entries are left and future bookings cancelled through the booking service,
so every freed seat goes to the next person waiting at once. Then hand-offs are closed, the rows the
statistics count are anonymised (bot.privacy.anonymise), everything else is deleted, and so is the user row.
Idempotent: a second call finds nobody and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.booking.models import OPEN, Booking, Slot, WaitlistEntry
from bot.booking.service import cancel_booking
from bot.booking.settings import BookingSettings
from bot.booking.waitlist import leave_waitlist, offer_seats
from bot.handoff.models import Handoff
from bot.notices.models import NoticeSubscription
from bot.platform.models import Conversation, InboundEvent, LineUser, Message, OutboxItem
from bot.privacy import anonymise
from bot.privacy.export import find_resident
from knowledge.models import AnswerFeedback, UnansweredQuestion
from knowledge.privacy import mask_personal_data

SAME_EVENT = timedelta(minutes=2)  # an unanswered question is stored in the same transaction as its message


def forget_resident(
    session: Session, line_user_id: str, now: datetime, settings: BookingSettings, by: int | None = None
) -> dict[str, int]:
    """Erase one resident; returns what was changed per kind (all zero when nothing was held)."""
    events = update(InboundEvent).where(InboundEvent.line_user_id == line_user_id).values(line_user_id=None)
    counts = {"webhook_events": _run(session, events) if line_user_id else 0}
    user = find_resident(session, line_user_id)
    if user is None:
        return counts
    uid = user.id
    session.scalar(select(Conversation.id).where(Conversation.user_id == uid).with_for_update())
    session.scalar(select(LineUser.id).where(LineUser.id == uid).with_for_update())
    counts["seats_freed"] = _free_seats(session, uid, now, settings)
    counts["handoffs_closed"] = _close_handoffs(session, uid, now, by)
    counts["unanswered"] = _unanswered(session, uid)
    anon = anonymise.anonymous_user(session).id
    pending = (OutboxItem.user_id == uid, OutboxItem.status == "pending")
    session.execute(update(OutboxItem).where(*pending).values(status="dead", last_error=None))
    counts["messages"] = anonymise.messages(session, anon, Message.user_id == uid)
    counts["outbox"] = anonymise.outbox(session, anon, OutboxItem.user_id == uid)
    counts["bookings"] = anonymise.bookings(session, anon, Booking.user_id == uid)
    counts["handoffs"] = anonymise.handoffs(session, anon, Handoff.user_id == uid)
    feedback = update(AnswerFeedback).where(AnswerFeedback.user_id == uid).values(user_id=None)
    counts["feedback"] = _run(session, feedback)
    counts["waitlist"] = _run(session, delete(WaitlistEntry).where(WaitlistEntry.user_id == uid))
    counts["notices"] = _run(session, delete(NoticeSubscription).where(NoticeSubscription.user_id == uid))
    session.execute(delete(Conversation).where(Conversation.user_id == uid))
    session.expunge(user)
    counts["profile"] = _run(session, delete(LineUser).where(LineUser.id == uid))  # cascades whatever is left
    return counts


def _run(session: Session, statement) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)


def _free_seats(session: Session, uid: int, now: datetime, settings: BookingSettings) -> int:
    """Leave live waitlist entries and cancel bookings not yet started; each freed seat is offered on."""
    freed: set[int] = set()
    live = select(WaitlistEntry).where(WaitlistEntry.user_id == uid, WaitlistEntry.status.in_(("waiting", "offered")))
    for entry in session.scalars(live).all():
        leave_waitlist(session, entry.id, uid, now)
        freed.add(entry.slot_id)
    upcoming = (
        select(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.user_id == uid, Booking.status.in_(OPEN), Slot.starts_at > now)
    )
    cancelled = 0
    for booking in session.scalars(upcoming).all():
        cancel_booking(session, booking.id, uid, now, settings, by="system")  # offers the seat on
        cancelled += 1
    stale = update(Booking).where(Booking.user_id == uid, Booking.status == "held")
    session.execute(stale.values(status="expired", seat_no=None, hold_expires_at=None, updated_at=now))
    session.flush()
    for slot_id in sorted(freed):
        offer_seats(session, slot_id, now, settings)
    return cancelled


def _close_handoffs(session: Session, uid: int, now: datetime, by: int | None) -> int:
    """Open hand-offs end with the outcome 「その他」 (the resident is not messaged)."""
    query = update(Handoff).where(Handoff.user_id == uid, Handoff.status != "closed")
    return _run(session, query.values(status="closed", outcome="other", closed_at=now, closed_by=by))


def _unanswered(session: Session, uid: int) -> int:
    """The resident's questions in the unanswered inbox (stored masked and without a link to them): found by
    their wording at the time of the resident's message, cleared and dismissed."""
    said = select(Message.text, Message.created_at).where(
        Message.user_id == uid, Message.direction == "in", Message.kind == "text", Message.text.is_not(None)
    )
    changed = 0
    for text, at in session.execute(said).all():
        query = update(UnansweredQuestion).where(
            UnansweredQuestion.text == mask_personal_data(text)[:1000],
            UnansweredQuestion.created_at.between(at - SAME_EVENT, at + SAME_EVENT),
        )
        changed += _run(session, query.values(text="", status="dismissed"))
    return changed
