"""Anonymising rows in place: the text goes, the link to the resident goes, what the statistics count stays.

Rows that feed the admin's figures (messages per day and intent, FAQ answers, hand-off reasons and waits,
booking outcomes, push counts, feedback) are kept with their dates, kinds and outcomes. Their personal
content (text, payloads, free-text summaries, LINE ids) is cleared, and their `user_id` is re-pointed to one
shared placeholder resident: the NOT NULL foreign keys stay valid without a schema change, and nothing links
the anonymised rows of one person to each other any more. Each function takes the filter that picks the
rows (older than the retention period, or one resident's) and returns how many rows it changed.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.booking.models import Booking
from bot.handoff.models import Handoff, InternalNote
from bot.platform.db import utcnow
from bot.platform.models import LineUser, Message, OutboxItem

ANONYMOUS_LINE_ID = "anonymised"  # never a real LINE user id (those are "U" + 32 hex digits)
ANONYMOUS_NAME = "（匿名化済み）"


def anonymous_user(session: Session) -> LineUser:
    """The shared placeholder resident (created once; marked unfollowed so nothing is ever pushed to it)."""
    query = select(LineUser).where(LineUser.line_user_id == ANONYMOUS_LINE_ID)
    user = session.scalar(query)
    if user is not None:
        return user
    try:
        with session.begin_nested():
            user = LineUser(line_user_id=ANONYMOUS_LINE_ID, display_name=ANONYMOUS_NAME, unfollowed_at=utcnow())
            session.add(user)
            session.flush()
    except IntegrityError:  # created by a concurrent run
        user = session.scalar(query)
    return user


def _changed(result) -> int:
    return max(result.rowcount or 0, 0)


def messages(session: Session, anon_id: int, *where) -> int:
    """Transcript lines: text, payload and LINE ids cleared; direction, kind, intent, FAQ and time kept."""
    query = update(Message).where(*where, Message.user_id != anon_id)
    values = {"user_id": anon_id, "text": None, "payload": None, "line_message_id": None, "webhook_event_id": None}
    return _changed(session.execute(query.values(values).execution_options(synchronize_session=False)))


def outbox(session: Session, anon_id: int, *where) -> int:
    """Finished outbox rows: message bodies and addresses replaced; via and sent_at kept (push counts)."""
    query = update(OutboxItem).where(*where, OutboxItem.user_id != anon_id, OutboxItem.status.in_(("sent", "dead")))
    values = {
        "user_id": anon_id,
        "line_user_id": ANONYMOUS_LINE_ID,
        "messages": [{"type": "text", "text": ANONYMOUS_NAME}],  # a valid message, never sent (the row is done)
        "reply_token": None,
        "last_error": None,
    }
    return _changed(session.execute(query.values(values).execution_options(synchronize_session=False)))


def bookings(session: Session, anon_id: int, *where) -> int:
    """Bookings: organisation and summary cleared, the seat number dropped; slot and status kept.

    Only bookings whose slot has started, or that are already cancelled or expired, may be given here: the
    seat number is dropped because one placeholder cannot hold two seats of a slot (a unique index).
    """
    query = update(Booking).where(*where, Booking.user_id != anon_id)
    values = {"user_id": anon_id, "organisation": None, "summary": None, "seat_no": None, "hold_expires_at": None}
    return _changed(session.execute(query.values(values).execution_options(synchronize_session=False)))


def handoffs(session: Session, anon_id: int, *where) -> int:
    """Closed hand-offs: summary and internal notes removed; reason, outcome and times kept."""
    ids = list(
        session.scalars(select(Handoff.id).where(*where, Handoff.user_id != anon_id, Handoff.status == "closed"))
    )
    if not ids:
        return 0
    session.execute(delete(InternalNote).where(InternalNote.handoff_id.in_(ids)))
    query = update(Handoff).where(Handoff.id.in_(ids)).values(user_id=anon_id, summary={})
    return _changed(session.execute(query.execution_options(synchronize_session=False)))
