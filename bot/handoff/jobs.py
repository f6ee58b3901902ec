"""Hand-off jobs for the one scheduler process: plain functions of the services, safe to run again any time.

Each claims its work with a conditional UPDATE (… WHERE notified_at IS NULL) and commits before talking to the
outside world; a notice that fails is unclaimed so the next run retries it. The auto-return closes the hand-off
and queues its notice in one transaction; the outbox then sends it once (push, with a retry key).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.handoff.actions import auto_return
from bot.handoff.models import Handoff
from bot.handoff.notify import Notice, NotifySettings, notify_settings, send_notice
from bot.handoff.queue import REASON_JA
from bot.handoff.settings import handoff_settings
from bot.handoff.timing import escalation_due
from bot.line.delivery import deliver
from bot.platform.db import unit_of_work
from bot.platform.models import LineUser
from bot.platform.services import Services

log = logging.getLogger(__name__)


def _now(svc: Services, now: datetime | None) -> datetime:
    return (now or svc.context.clock()).astimezone(svc.context.tz)


def _settings(svc: Services, settings: NotifySettings | None) -> NotifySettings:
    """Explicit settings, else the app config when the services carry one, then the environment."""
    return settings or notify_settings(getattr(svc, "config", None) or {})


def _claim(session: Session, handoff_id: int, column: str, now: datetime) -> bool:
    """Set a notice mark only if nobody set it before (exactly once across runs and processes)."""
    col = getattr(Handoff, column)
    query = update(Handoff).where(Handoff.id == handoff_id, Handoff.status == "waiting", col.is_(None))
    return session.execute(query.values({column: now})).rowcount == 1


def _unclaim(session: Session, handoff_id: int, column: str, mark: datetime) -> None:
    """Clear our own mark after a failed notice, so the next run tries again."""
    col = getattr(Handoff, column)
    session.execute(update(Handoff).where(Handoff.id == handoff_id, col == mark).values({column: None}))


def _notice(h: Handoff, kind: str, now: datetime) -> Notice:
    waited = int((now - h.created_at).total_seconds() // 60)
    reason = REASON_JA.get(h.reason, h.reason)
    return Notice(h.id, kind, h.urgent, reason, (h.summary or {}).get("text") or "", h.created_at, waited)


def _send_claimed(svc: Services, notices: list[Notice], column: str, marks: dict, cfg: NotifySettings) -> int:
    sent = 0
    for notice in notices:
        mailed, pushed = send_notice(cfg, svc.gateway, notice)
        with unit_of_work(svc.session_factory) as session:
            if not mailed:
                _unclaim(session, notice.handoff_id, column, marks[notice.handoff_id])
            elif pushed:
                session.execute(
                    update(Handoff).where(Handoff.id == notice.handoff_id).values(group_pushes=Handoff.group_pushes + 1)
                )
        sent += 1 if mailed else 0
    return sent


def notify_new(svc: Services, now: datetime | None = None, settings: NotifySettings | None = None) -> int:
    """Tell coordinators about each new (or newly urgent) waiting hand-off once; returns notices sent."""
    now, cfg = _now(svc, now), _settings(svc, settings)
    with unit_of_work(svc.session_factory) as session:
        query = select(Handoff).where(Handoff.status == "waiting", Handoff.notified_at.is_(None))
        rows = session.scalars(query.order_by(Handoff.urgent.desc(), Handoff.created_at)).all()
        notices = [_notice(h, "new", now) for h in rows if _claim(session, h.id, "notified_at", now)]
        nameless = {h.user_id: h.user.line_user_id for h in rows if h.user.display_name is None}
    _fill_display_names(svc, nameless)
    return _send_claimed(svc, notices, "notified_at", {n.handoff_id: now for n in notices}, cfg)


def _fill_display_names(svc: Services, users: dict[int, str]) -> None:
    """Fetch LINE profile names for the console (outside any transaction: it is a network call)."""
    names = {user_id: svc.gateway.display_name(line_id) for user_id, line_id in users.items()}
    with unit_of_work(svc.session_factory) as session:
        for user_id, name in names.items():
            if name:
                query = update(LineUser).where(LineUser.id == user_id, LineUser.display_name.is_(None))
                session.execute(query.values(display_name=name[:200]))


def escalate_unpicked(svc: Services, now: datetime | None = None, settings: NotifySettings | None = None) -> int:
    """Escalate waiting hand-offs nobody took in time (15 open minutes; urgent: 5 minutes); returns notices."""
    now, cfg = _now(svc, now), _settings(svc, settings)
    profile = svc.context.profile
    with unit_of_work(svc.session_factory) as session:
        s = handoff_settings(session)
        query = select(Handoff).where(Handoff.status == "waiting", Handoff.escalated_at.is_(None))
        due = [
            h
            for h in session.scalars(query.order_by(Handoff.urgent.desc(), Handoff.created_at)).all()
            if escalation_due(profile, h.created_at, now, h.urgent, s.escalate_minutes, s.escalate_urgent_minutes)
        ]
        notices = [_notice(h, "escalation", now) for h in due if _claim(session, h.id, "escalated_at", now)]
    return _send_claimed(svc, notices, "escalated_at", {n.handoff_id: now for n in notices}, cfg)


def auto_return_silent(svc: Services, now: datetime | None = None) -> int:
    """Give conversations silent for `handoff.silence_hours` (72) back to the bot, with a short notice."""
    now = _now(svc, now)
    outbox_ids: list[int] = []
    returned = 0
    with unit_of_work(svc.session_factory) as session:
        silence = timedelta(hours=handoff_settings(session).silence_hours)
        query = select(Handoff.id).where(Handoff.status != "closed", Handoff.created_at <= now - silence)
        candidates = session.scalars(query).all()
    for handoff_id in candidates:  # one transaction each: a resident's new message only delays their own
        with unit_of_work(svc.session_factory) as session:
            ids = auto_return(session, handoff_id, now, silence, svc.context.profile)
        if ids is not None:
            returned += 1
            outbox_ids += ids
    deliver(svc.session_factory, svc.gateway, outbox_ids)
    return returned


JOBS = (
    (notify_new, 30),
    (escalate_unpicked, 60),
    (auto_return_silent, 600),
)
