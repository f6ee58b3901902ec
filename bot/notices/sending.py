"""Sending a notice: fix its recipients in multicast batches, then send each batch exactly once.

    scheduled ──(due; one conditional UPDATE)──▶ sending: recipients and batches (≤ 500, one language each)
              committed together, each batch with its own X-Line-Retry-Key
              └─(its recipients would now go over the month's push budget)──▶ held, for staff to decide
    batch: pending ──claim (lease)──▶ multicast ──▶ sent | backoff (pending) | dead
    sending ──(no batch pending)──▶ sent, with delivered / failed counts

A resident is in at most one batch of a notice (unique notice_id, user_id), so a notice can reach them only
through that batch's request. A worker killed mid-send leaves its lease to run out; the next attempt repeats
the request with the same retry key, and LINE answers 409 if it had accepted the first, delivering nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.line import messages as m
from bot.line.gateway import LineGateway, SendError
from bot.line.outbox_policy import RetryPolicy
from bot.notices.models import MULTICAST_MAX, Notice, NoticeBatch, NoticeRecipient
from bot.notices.service import audience, still_wanted
from bot.notices.texts import nt
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import Message

log = logging.getLogger(__name__)
RETRY_KEY_LIFETIME = timedelta(hours=23)  # LINE remembers a retry key for 24 hours; keep a margin


def notice_messages(notice: Notice, lang: str = "ja") -> list[dict]:
    """What a resident receives: the image (if any), then the text with the link, the way to stop, and chips."""
    out: list[dict] = []
    if notice.image_url:
        out.append({"type": "image", "originalContentUrl": notice.image_url, "previewImageUrl": notice.image_url})
    text = f"【{notice.title}】\n{notice.body.strip()}"
    if notice.link_url:
        text += f"\n\n{nt('notice.link', lang)}\n{notice.link_url}"
    text += "\n\n" + nt("notice.footer", lang)
    chips = [
        m.Choice(nt("label.settings", lang), data={"a": "nt"}),
        m.Choice(nt("label.stop", lang), data={"a": "nt", "do": "stop"}),
    ]
    out.append(m.text(text, chips))
    return out


def start_due(session: Session, now: datetime, fits: Callable[[Session, int], bool] | None = None) -> list[int]:
    """Notices whose time has come: fix their recipients and batches (one process wins each); their ids. A notice
    whose recipients do not `fits` the push budget any more is held for staff instead (status `held`)."""
    due = session.scalars(
        select(Notice.id).where(Notice.status == "scheduled", Notice.scheduled_at <= now).order_by(Notice.id)
    ).all()
    started = []
    for notice_id in due:
        won = session.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.status == "scheduled")
            .values(status="sending", started_at=now)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:
            notice = session.get(Notice, notice_id, populate_existing=True)
            people = audience(session, notice.topics, notice.wards)
            if fits is not None and not fits(session, len(people)):
                notice.status, notice.started_at, notice.recipients = "held", None, len(people)
                log.warning("notice %s held: %s recipients would go over the push budget", notice_id, len(people))
                continue
            _make_batches(session, notice, people)
            started.append(notice_id)
    return started


def _make_batches(session: Session, notice: Notice, people: list) -> None:
    by_lang: dict[str, list] = defaultdict(list)
    for person in people:
        by_lang[person.language if person.language in ("ja", "easy", "en") else "ja"].append(person)
    for lang, group in sorted(by_lang.items()):
        for start in range(0, len(group), MULTICAST_MAX):
            chunk = group[start : start + MULTICAST_MAX]
            batch = NoticeBatch(
                notice_id=notice.id,
                lang=lang,
                messages=notice_messages(notice, lang),
                retry_key=str(uuid.uuid4()),
                size=len(chunk),
            )
            session.add(batch)
            session.flush()
            rows = [{"notice_id": notice.id, "batch_id": batch.id, "user_id": p.user_id} for p in chunk]
            session.execute(insert(NoticeRecipient), rows)
    notice.recipients = len(people)
    log.info("notice %s: %s recipients fixed", notice.id, len(people))


def _due(now: datetime):
    return (
        NoticeBatch.status == "pending",
        or_(NoticeBatch.claimed_until.is_(None), NoticeBatch.claimed_until < now),
        or_(NoticeBatch.next_attempt_at.is_(None), NoticeBatch.next_attempt_at <= now),
    )


def due_batches(session: Session, limit: int = 100) -> list[int]:
    """Batches to try now: never tried, backoff over, or a dead process's lease run out; oldest first."""
    return list(session.scalars(select(NoticeBatch.id).where(*_due(utcnow())).order_by(NoticeBatch.id).limit(limit)))


def _claim(session: Session, batch_id: int, policy: RetryPolicy) -> NoticeBatch | None:
    now = utcnow()
    won = session.execute(
        update(NoticeBatch)
        .where(NoticeBatch.id == batch_id, *_due(now))
        .values(claimed_until=now + policy.lease, attempts=NoticeBatch.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return session.get(NoticeBatch, batch_id, populate_existing=True) if won.rowcount == 1 else None


def send_batches(factory: sessionmaker[Session], gateway: LineGateway, policy: RetryPolicy) -> int:
    """One attempt for every due batch; returns how many were attempted."""
    with unit_of_work(factory) as session:
        ids = due_batches(session)
    tried = 0
    for batch_id in ids:
        if gateway.paused_for() > policy.max_inline_pause_seconds:  # LINE asked us to wait: next run
            break
        with unit_of_work(factory) as session:
            batch = _claim(session, batch_id, policy)
            if batch is None:
                continue
            notice = session.get(Notice, batch.notice_id)
            to = still_wanted(session, batch_id, notice)  # (user id, LINE id) of those who still want it
            attempt, messages, key = batch.attempts, batch.messages, batch.retry_key
            stale = attempt > 1 and batch.created_at < utcnow() - RETRY_KEY_LIFETIME
        error = None
        if stale:  # an earlier attempt may have been accepted, and LINE no longer remembers its key
            error = SendError(None, "not retried: LINE keeps a retry key 24 hours; an earlier attempt may have sent it")
        elif to:
            try:
                gateway.multicast([line_id for _uid, line_id in to], messages, key)
            except SendError as exc:
                error = exc
        with unit_of_work(factory) as session:
            _record(
                session, batch_id, attempt, to, messages, error, replace(policy, max_attempts=0) if stale else policy
            )
        tried += 1
    return tried


def _record(session: Session, batch_id: int, attempt: int, to: list, messages: list, error, policy) -> None:
    """Store one attempt's outcome (only the holder of the latest claim may)."""
    now = utcnow()
    mine = (NoticeBatch.id == batch_id, NoticeBatch.status == "pending", NoticeBatch.attempts == attempt)
    if error is None:
        values = {"status": "sent", "sent_at": now, "sent_count": len(to), "claimed_until": None, "last_error": None}
        if session.execute(update(NoticeBatch).where(*mine).values(values)).rowcount == 1:
            for user_id, _line_id in to:  # the residents' transcripts show what they were sent
                for message in messages:
                    session.add(
                        Message(
                            user_id=user_id,
                            direction="out",
                            kind=message.get("type", "text"),
                            text=m.visible_text(message),
                            payload=message,
                            intent="notice",
                        )
                    )
        return
    values = {"claimed_until": None, "last_error": str(error)[:2000]}
    if error.retryable and attempt < policy.max_attempts:
        values["next_attempt_at"] = now + policy.delay(attempt, error.retry_after)
        log.warning("notice batch %s not sent (attempt %s): %s", batch_id, attempt, error)
    else:
        values["status"] = "dead"
        log.error("notice batch %s failed for good after %s attempts: %s", batch_id, attempt, error)
    session.execute(update(NoticeBatch).where(*mine).values(values))


def finish_sent(session: Session, now: datetime) -> list[int]:
    """Notices with no batch left pending become sent, with their delivered and failed counts; their ids."""
    done = []
    for notice in session.scalars(select(Notice).where(Notice.status == "sending")).all():
        rows = session.execute(
            select(NoticeBatch.status, func.count(), func.sum(NoticeBatch.size), func.sum(NoticeBatch.sent_count))
            .where(NoticeBatch.notice_id == notice.id)
            .group_by(NoticeBatch.status)
        ).all()
        by_status = {status: (n, int(size or 0), int(sent or 0)) for status, n, size, sent in rows}
        if "pending" in by_status:
            continue
        notice.delivered = by_status.get("sent", (0, 0, 0))[2]
        notice.failed = by_status.get("dead", (0, 0, 0))[1]
        notice.status, notice.finished_at = "sent", now
        done.append(notice.id)
    return done


def pushes_sent(session: Session, start: datetime, end: datetime) -> int:
    """Messages LINE counted for notices sent in [start, end): one per recipient of each accepted multicast."""
    total = session.scalar(
        select(func.coalesce(func.sum(NoticeBatch.sent_count), 0)).where(
            NoticeBatch.status == "sent", NoticeBatch.sent_at >= start, NoticeBatch.sent_at < end
        )
    )
    return int(total or 0)
