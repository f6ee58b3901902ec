"""Subscriptions and audiences: who opted in to what, consent kept with its time; session first, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.notices.models import TOPICS, WARD_NAMES, Notice, NoticeBatch, NoticeRecipient, NoticeSubscription
from bot.platform.models import LineUser

OPTOUT_WINDOW = timedelta(days=7)  # a stop within this long of receiving a notice counts against that notice


@dataclass(frozen=True)
class Resident:
    """One resident a notice reaches."""

    user_id: int
    line_user_id: str
    language: str


def subscription(session: Session, user_id: int) -> NoticeSubscription | None:
    """The resident's subscription row (active or stopped), if they ever chose."""
    return session.scalar(select(NoticeSubscription).where(NoticeSubscription.user_id == user_id))


def clean_topics(topics) -> list[str]:
    """Known topics only, in the canonical order."""
    chosen = set(topics or [])
    return [t for t in TOPICS if t in chosen]


def subscribe(session: Session, user_id: int, topics, ward: str | None, now: datetime, via: str = "chat"):
    """Record the resident's opt-in (topics, ward) and its time; returns the subscription."""
    topics = clean_topics(topics)
    if not topics:
        raise ValueError("an opt-in needs at least one topic")
    ward = ward if ward in WARD_NAMES else None
    sub = subscription(session, user_id)
    if sub is None:
        sub = NoticeSubscription(user_id=user_id, topics=[], history=[])
        session.add(sub)
    sub.topics, sub.ward, sub.consented_at, sub.stopped_at = topics, ward, now, None
    entry = {"at": now.isoformat(), "action": "opt_in", "topics": topics, "ward": ward, "via": via}
    sub.history = [*(sub.history or []), entry]  # a new list, so the JSON column is saved
    session.flush()
    return sub


def note_offer(session: Session, user_id: int, now: datetime) -> None:
    """Remember that notices were offered (no topics: nothing is sent), so the offer is made once."""
    entry = {"at": now.isoformat(), "action": "offered"}
    session.add(NoticeSubscription(user_id=user_id, topics=[], history=[entry]))
    session.flush()


def stop(session: Session, user_id: int, now: datetime, via: str = "chat") -> bool:
    """Stop every notice for the resident; False when none was active. A stop soon after a notice counts
    against that notice (its opt-outs)."""
    sub = subscription(session, user_id)
    if sub is None or not sub.active:
        return False
    sub.topics, sub.stopped_at = [], now
    sub.history = [*(sub.history or []), {"at": now.isoformat(), "action": "stop", "via": via}]
    last = session.scalar(
        select(NoticeRecipient.notice_id)
        .join(NoticeBatch, NoticeBatch.id == NoticeRecipient.batch_id)
        .where(NoticeRecipient.user_id == user_id, NoticeBatch.status == "sent")
        .where(NoticeBatch.sent_at >= now - OPTOUT_WINDOW)
        .order_by(NoticeBatch.sent_at.desc(), NoticeRecipient.id.desc())
        .limit(1)
    )
    if last is not None:
        session.execute(update(Notice).where(Notice.id == last).values(optouts=Notice.optouts + 1))
    session.flush()
    return True


def _reachable():
    """Residents with an active subscription who still follow the account."""
    return (
        select(
            LineUser.id, LineUser.line_user_id, LineUser.language, NoticeSubscription.topics, NoticeSubscription.ward
        )
        .join(NoticeSubscription, NoticeSubscription.user_id == LineUser.id)
        .where(NoticeSubscription.stopped_at.is_(None), LineUser.unfollowed_at.is_(None))
        .order_by(LineUser.id)
    )


def matches(topics: list, ward: str | None, notice_topics: list, notice_wards: list) -> bool:
    """Whether a subscriber of `topics` (in `ward`) wants a notice on `notice_topics` for `notice_wards`
    (no wards: the whole city; with wards: only residents who chose one of them)."""
    if not set(topics or []) & set(notice_topics or []):
        return False
    return not notice_wards or ward in notice_wards


def audience(session: Session, topics: list, wards: list) -> list[Resident]:
    """Every resident a notice on these topics and wards would reach now, in a stable order."""
    return [
        Resident(uid, line_id, lang or "ja")
        for uid, line_id, lang, sub_topics, ward in session.execute(_reachable())
        if matches(sub_topics, ward, topics, wards)
    ]


def still_wanted(session: Session, batch_id: int, notice: Notice) -> list[tuple[int, str]]:
    """(user id, LINE id) of a batch's residents who still want the notice (stopped or blocked since: left out)."""
    rows = session.execute(
        _reachable()
        .join(NoticeRecipient, NoticeRecipient.user_id == LineUser.id)
        .where(NoticeRecipient.batch_id == batch_id)
    )
    return [(uid, line_id) for uid, line_id, _lang, t, w in rows if matches(t, w, notice.topics, notice.wards)]
