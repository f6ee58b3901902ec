"""Per-user flood throttling: past a limit of messages in a sliding window, one polite notice, then silence.

The count is kept on the resident's conversation row, which the pipeline locks first for every event, so several
web workers agree on it without a query of its own: every counted message the transcript records is noted there
(`note`, when its line is written: also while a person has the conversation, or when the event failed and was only
recorded), as its time, keeping those within the window and at most the limit of them, and so is the notice
(`check`). "Already told" is a notice within the window. Messages are always recorded; only answers stop.

Settings (the `settings` table, defaults here): `throttle.max_messages` (20; 0 turns throttling off) and
`throttle.window_seconds` (60). Each process reads them at most every SETTINGS_TTL seconds (a change made in the
admin applies at once in its own process, within that time in the others). A limit raised meanwhile counts from
the times kept under the old one, so for at most one window a flood is counted up to the old limit only.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dialogue.reply import Reply
from bot.dialogue.texts import t
from bot.line import messages as m
from bot.line.inbound import Inbound
from bot.platform.db import utcnow
from bot.platform.models import Conversation, Setting
from intents import classify

log = logging.getLogger(__name__)
MAX_MESSAGES_KEY = "throttle.max_messages"
WINDOW_SECONDS_KEY = "throttle.window_seconds"
DEFAULT_MAX_MESSAGES = 20
DEFAULT_WINDOW_SECONDS = 60
NOTICE_INTENT = "throttle"
COUNTED_KINDS = ("text", "postback", "media")  # what a resident sends; follow, unfollow and others are not counted
NOT_COUNTED = ("follow", "unfollow", "join", "other")  # transcript kinds of lifecycle and unhandled events
SETTINGS_TTL = 10.0  # seconds a process keeps the throttle settings it read


@dataclass(frozen=True)
class ThrottleSettings:
    """At most `max_messages` per `window_seconds` are answered (max_messages 0: no throttling)."""

    max_messages: int = DEFAULT_MAX_MESSAGES
    window_seconds: int = DEFAULT_WINDOW_SECONDS


def throttle_settings(session: Session) -> ThrottleSettings:
    """The defaults with any stored `throttle.*` values applied (bad values are ignored)."""
    rows = dict(session.execute(select(Setting.key, Setting.value).where(Setting.key.like("throttle.%"))).all())
    values = {}
    for key, name in ((MAX_MESSAGES_KEY, "max_messages"), (WINDOW_SECONDS_KEY, "window_seconds")):
        value = rows.get(key)
        if value is None:
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if number < 0 or (name == "window_seconds" and number == 0):
            log.warning("setting %s=%r ignored (bad value)", key, value)
            continue
        values[name] = number
    return ThrottleSettings(**values)


_cached: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (read at, settings)
_cache_lock = threading.Lock()


def current_settings(session: Session) -> ThrottleSettings:
    """The throttle settings, read again when this process's copy is older than SETTINGS_TTL."""
    engine, now = session.get_bind(), time.monotonic()
    with _cache_lock:
        cached = _cached.get(engine)
    if cached is not None and now - cached[0] < SETTINGS_TTL:
        return cached[1]
    settings = throttle_settings(session)
    with _cache_lock:
        _cached[engine] = (now, settings)
    return settings


def forget_settings() -> None:
    """Make every engine's next check read the settings again (after they were changed)."""
    with _cache_lock:
        _cached.clear()


def note(session: Session, conversation: Conversation, transcript_kind: str, at: datetime) -> None:
    """Count one incoming transcript line (of this kind, written at `at`) on the locked conversation row."""
    if transcript_kind in NOT_COUNTED:
        return
    settings = current_settings(session)
    keep = settings.max_messages or DEFAULT_MAX_MESSAGES  # throttling off: still counted, for when it is on again
    now = at.timestamp()
    since = now - settings.window_seconds
    earlier = [when for when in conversation.throttle_times or () if when >= since]
    conversation.throttle_times = [*earlier[max(0, len(earlier) - keep + 1) :], round(now, 3)]  # `check` needs no more


def check(session: Session, conversation: Conversation, inbound: Inbound) -> Reply | None:
    """None to answer normally; else the reply for a flooding resident (the notice once per window, then silence).

    Call before the event's incoming message is recorded (it is counted as one), and before dispatch.
    Only the bot's own conversations are throttled (while a person has it, the hand-off rules decide), and an
    urgent crisis message is always answered.
    """
    if inbound.kind not in COUNTED_KINDS or conversation.mode != "bot":
        return None
    settings = current_settings(session)
    if settings.max_messages <= 0:
        return None
    window = settings.window_seconds
    now = utcnow()
    since = now.timestamp() - window
    earlier = sum(1 for when in conversation.throttle_times or () if when >= since)
    sent = earlier + 1  # and this one
    if sent <= settings.max_messages or _is_crisis(inbound):
        return None
    told = conversation.throttle_notice_at
    if told is not None and told.timestamp() >= since:
        log.info("user %s: %s messages in %s s, over the limit; not answered", conversation.user_id, sent, window)
        return Reply([], intent=NOTICE_INTENT)
    conversation.throttle_notice_at = now
    log.info("user %s: %s messages in %s s, over the limit; asked to slow down", conversation.user_id, sent, window)
    return Reply([m.text(t("throttle.notice", conversation.user.language))], intent=NOTICE_INTENT)


def _is_crisis(inbound: Inbound) -> bool:
    if inbound.kind != "text" or not inbound.text:
        return False
    triage = classify(inbound.text)
    return triage.intent == "crisis" or triage.crisis == "urgent"
