"""The retention rule: personal content older than the retention period is anonymised; the figures stay.

`apply_retention(session, now, days)` is a plain function of a frozen `now` (tested so); the worker runs it
through bot.platform.jobs.apply_retention. Safe to run at any time and as often as wanted: rows already anonymised
are skipped, so a second run changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from bot.booking.models import Booking, Slot, WaitlistEntry
from bot.handoff.models import Handoff
from bot.platform.models import Conversation, InboundEvent, LineUser, Message, OutboxItem
from bot.privacy import anonymise
from knowledge.models import AnswerFeedback, UnansweredQuestion


def apply_retention(session: Session, now: datetime, days: int) -> dict[str, int]:
    """Anonymise what is older than `days` before `now`; returns the rows changed per kind."""
    cutoff = now - timedelta(days=days)
    anon = anonymise.anonymous_user(session).id
    started = select(Slot.id).where(Slot.starts_at < cutoff)
    counts = {
        "messages": anonymise.messages(session, anon, Message.created_at < cutoff),
        "outbox": anonymise.outbox(session, anon, OutboxItem.created_at < cutoff),
        "bookings": anonymise.bookings(session, anon, Booking.slot_id.in_(started)),
        "handoffs": anonymise.handoffs(session, anon, Handoff.closed_at < cutoff),
        "waitlist": _run(session, delete(WaitlistEntry).where(WaitlistEntry.slot_id.in_(started))),
        "feedback": _run(
            session,
            update(AnswerFeedback)
            .where(AnswerFeedback.created_at < cutoff, AnswerFeedback.user_id.is_not(None))
            .values(user_id=None),
        ),
        "inbound_events": _run(
            session,
            update(InboundEvent)
            .where(InboundEvent.received_at < cutoff, InboundEvent.line_user_id.is_not(None))
            .values(line_user_id=None),
        ),
        "unanswered": _unanswered(session, UnansweredQuestion.created_at < cutoff),
        "conversations": _run(
            session,
            update(Conversation)
            .where(Conversation.updated_at < cutoff, Conversation.mode == "bot")
            .where(or_(Conversation.flow.is_not(None), Conversation.last_reply_token.is_not(None)))
            .values(flow=None, state=None, slots={}, last_reply_token=None, last_reply_token_at=None)
            .values(throttle_times=[], throttle_notice_at=None),  # and the times of the messages it anonymises
        ),
    }
    counts["residents"] = _delete_gone_residents(session, cutoff, anon)
    return counts


def _run(session: Session, statement) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)


def _unanswered(session: Session, *where) -> int:
    """Question texts cleared (the reason and date stay for the answer-rate figures); open ones dismissed."""
    keep = (UnansweredQuestion.text != "", *where)
    is_open = UnansweredQuestion.status == "open"
    _run(session, update(UnansweredQuestion).where(*keep, is_open).values(status="dismissed"))
    return _run(session, update(UnansweredQuestion).where(*keep).values(text=""))


def _delete_gone_residents(session: Session, cutoff: datetime, anon: int) -> int:
    """Residents who blocked the account before the cutoff and have nothing left that names them."""
    linked = [
        exists().where(model.user_id == LineUser.id) for model in (Message, OutboxItem, Booking, WaitlistEntry, Handoff)
    ]
    gone = select(LineUser.id).where(
        LineUser.id != anon,
        LineUser.unfollowed_at < cutoff,
        or_(LineUser.followed_at.is_(None), LineUser.followed_at <= LineUser.unfollowed_at),
        *[~clause for clause in linked],
    )
    ids = list(session.scalars(gone))
    if not ids:
        return 0
    session.execute(update(AnswerFeedback).where(AnswerFeedback.user_id.in_(ids)).values(user_id=None))
    session.execute(delete(Conversation).where(Conversation.user_id.in_(ids)))
    return _run(session, delete(LineUser).where(LineUser.id.in_(ids)))
