"""Everything held about one resident, as JSON-ready data (`madoguchi user export`, the admin's download)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.models import Booking, WaitlistEntry
from bot.handoff.models import Handoff, InternalNote
from bot.notices.models import NoticeSubscription
from bot.platform.models import Conversation, InboundEvent, LineUser, Message
from bot.privacy.anonymise import ANONYMOUS_LINE_ID
from knowledge.models import AnswerFeedback

FORMAT = "madoguchi.resident-export/1"
PROFILE_FIELDS = ("display_name", "language", "followed_at", "unfollowed_at", "consent_at", "created_at")
CONVERSATION_FIELDS = ("mode", "flow", "state", "slots", "state_updated_at", "updated_at")


def find_resident(session: Session, line_user_id: str) -> LineUser | None:
    """The resident with this LINE user id (never the anonymised placeholder)."""
    if not line_user_id or line_user_id == ANONYMOUS_LINE_ID:
        return None
    return session.scalar(select(LineUser).where(LineUser.line_user_id == line_user_id))


def export_resident(session: Session, line_user_id: str, now: datetime) -> dict | None:
    """The resident's profile, conversation state, messages, bookings, waitlist, hand-offs (with internal
    notes), feedback, webhook events and the choice of notices (with its consent); None when nothing is held
    under this LINE user id."""
    user = find_resident(session, line_user_id)
    if user is None:
        return None
    uid = user.id
    conversation = session.scalar(select(Conversation).where(Conversation.user_id == uid))
    events = select(InboundEvent).where(InboundEvent.line_user_id == user.line_user_id).order_by(InboundEvent.id)
    message_fields = ("created_at", "direction", "kind", "text", "payload", "intent", "confidence", "faq_id")
    return {
        "format": FORMAT,
        "exported_at": _iso(now),
        "line_user_id": user.line_user_id,
        "profile": _fields(user, *PROFILE_FIELDS),
        "conversation": conversation and _fields(conversation, *CONVERSATION_FIELDS),
        "messages": [_fields(m, *message_fields) for m in _rows(session, Message, uid)],
        "bookings": [_booking(b) for b in _rows(session, Booking, uid)],
        "waitlist": [
            {**_fields(w, "status", "created_at", "offered_at"), "slot_starts_at": _iso(w.slot.starts_at)}
            for w in _rows(session, WaitlistEntry, uid)
        ],
        "handoffs": [_handoff(session, h) for h in _rows(session, Handoff, uid)],
        "feedback": [_fields(f, "created_at", "faq_id", "helpful") for f in _rows(session, AnswerFeedback, uid)],
        "webhook_events": [_fields(e, "received_at", "event_type") for e in session.scalars(events)],
        "notices": _notices(session, uid),
    }


def _notices(session: Session, uid: int) -> dict | None:
    """The resident's choice of notices with their consent: its time and every change (None if never chosen)."""
    sub = session.scalar(select(NoticeSubscription).where(NoticeSubscription.user_id == uid))
    return sub and _fields(sub, "topics", "ward", "consented_at", "stopped_at", "history", "created_at")


def _rows(session: Session, model, uid: int):
    """The resident's rows of a table, oldest first."""
    return session.scalars(select(model).where(model.user_id == uid).order_by(model.created_at, model.id))


def _booking(b: Booking) -> dict:
    slot = b.slot
    return {
        **_fields(b, "status", "organisation", "summary", "created_at", "confirmed_at", "cancelled_at", "cancelled_by"),
        "consultation": slot.type.name,
        "starts_at": _iso(slot.starts_at),
        "ends_at": _iso(slot.ends_at),
    }


def _handoff(session: Session, h: Handoff) -> dict:
    notes = session.scalars(select(InternalNote).where(InternalNote.handoff_id == h.id).order_by(InternalNote.id))
    return {
        **_fields(h, "status", "reason", "urgent", "summary", "created_at", "assigned_at", "closed_at", "outcome"),
        "internal_notes": [_fields(n, "created_at", "author", "text") for n in notes],
    }


def _fields(row, *names: str) -> dict:
    return {name: _plain(getattr(row, name)) for name in names}


def _plain(value):
    if isinstance(value, datetime | date):
        return _iso(value)
    return value


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None
