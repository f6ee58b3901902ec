"""Hand-off domain service (session first, flush but never commit): modes, requests, the guard, console actions.

    bot ──request()──▶ waiting ──assign() / first coordinator reply──▶ human ──close() / 「ボットに戻る」──▶ bot
                          │                                     └─mark_oa_manager()─▶ oa_manager ──close()──▶ bot
                          └──「ボットに戻る」 / close() / silence (jobs.auto_return_silent) ──────────────────▶ bot

Every console action locks the resident's conversation row first (the webhook holds the same lock while it
handles one of the resident's events), then re-reads the hand-off, so actions and events never interleave.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.dialogue.crisis import crisis_messages
from bot.dialogue.menu import main_menu
from bot.dialogue.reply import Reply
from bot.handoff.models import OUTCOMES, REASONS, Handoff, InternalNote
from bot.handoff.queue import PushUsage, push_usage
from bot.handoff.sender import as_coordinator, coordinator_sender
from bot.handoff.settings import handoff_settings
from bot.handoff.summary import build_summary
from bot.handoff.texts import ht
from bot.handoff.timing import next_steps
from bot.line import messages as m
from bot.line.delivery import REPLY_TOKEN_TTL
from bot.line.inbound import Inbound
from bot.line.outbox import enqueue
from bot.platform.context import BotContext
from bot.platform.db import utcnow
from bot.platform.models import Conversation, OutboxItem
from intents import classify
from knowledge.text import normalize

__all__ = ["PushUsage", "push_usage", "request", "guard", "assign", "send_coordinator_message", "close"]
RETURN_TEXT = "ボットに戻る"
RETURN_WORDS = {
    normalize(w) for w in (RETURN_TEXT, "ボットにもどる", "ぼっとにもどる", "back to bot", "back to the bot")
}
# While waiting, the 「最初に戻る」 chip (or its words) asks for the menu: it ends the wait as 「ボットに戻る」 does.
MENU_WORDS = {normalize(w) for w in ("最初に戻る", "さいしょに もどる", "Main menu", "メニュー", "menu")}
SILENT_MODES = ("waiting", "human", "oa_manager")


class HandoffError(Exception):
    """A console action that cannot be done now; the message is shown to the coordinator."""


def open_handoff(session: Session, user_id: int) -> Handoff | None:
    """The resident's open (waiting or assigned) hand-off, if any."""
    return session.scalar(select(Handoff).where(Handoff.user_id == user_id, Handoff.status != "closed"))


def mode_for(handoff: Handoff | None) -> str:
    """The conversation mode a hand-off implies."""
    if handoff is None or handoff.status == "closed":
        return "bot"
    if handoff.status == "waiting":
        return "waiting"
    return "oa_manager" if handoff.oa_manager else "human"


def back_chip(lang: str = "ja") -> m.Choice:
    """The 「ボットに戻る」 chip (it sends the same words in every language, so the guard recognises it)."""
    return m.Choice(ht("label.back", lang), text=RETURN_TEXT)


def request(
    ctx: BotContext,
    session: Session,
    conversation: Conversation,
    reason: str,
    urgent: bool = False,
    summary: dict | None = None,
) -> Reply:
    """Hand the resident to a person: mode waiting, a Handoff row, and the honest "what happens next" message."""
    if reason not in REASONS:
        raise ValueError(f"unknown hand-off reason {reason!r}")
    now, lang = ctx.clock(), conversation.user.language
    handoff = open_handoff(session, conversation.user_id)
    existing = handoff is not None
    if handoff is None:
        summary = summary or build_summary(session, conversation.user_id, now, "crisis" if reason == "crisis" else None)
        handoff = _create(session, conversation.user_id, reason, urgent, summary, now)
    elif urgent:
        make_urgent(handoff)
    conversation.mode = mode_for(handoff)
    conversation.flow, conversation.state, conversation.slots = None, None, {}
    conversation.misunderstood_count = 0
    wait = handoff_settings(session).expected_wait_minutes
    body = next_steps(ctx.profile, now.astimezone(ctx.tz), wait, handoff.urgent, lang)
    if existing:
        body = ht("already", lang) + "\n" + body
    body += "\n\n" + ht("how_to_leave", lang)
    intent = "crisis" if reason == "crisis" else "human"
    return Reply([m.text(body, [back_chip(lang)])], intent=intent, handoff=True)


def _create(session: Session, user_id: int, reason: str, urgent: bool, summary: dict, now: datetime) -> Handoff:
    try:
        with session.begin_nested():
            handoff = Handoff(user_id=user_id, reason=reason, urgent=urgent, summary=summary, created_at=now)
            session.add(handoff)
            session.flush()
    except IntegrityError:  # the partial unique index: someone opened one first
        handoff = open_handoff(session, user_id)
        if handoff is None:
            raise
    return handoff


def make_urgent(handoff: Handoff) -> None:
    """Raise a hand-off to urgent; coordinators are notified again, as urgent."""
    if not handoff.urgent:
        handoff.urgent = True
        if handoff.status == "waiting":
            handoff.notified_at = None


def guard(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply | None:
    """None when the bot handles the event; else the reply while a person has the conversation (often silent)."""
    if conversation.mode not in SILENT_MODES or inbound.kind in ("follow", "unfollow"):
        return None
    handoff = open_handoff(session, conversation.user_id)
    conversation.mode = mode_for(handoff)  # repairs a mode left without an open hand-off
    if handoff is None:
        return None
    now, lang = ctx.clock(), conversation.user.language
    if _wants_bot(inbound, conversation.mode):
        finish(conversation, handoff, "user_returned", None, now)
        return Reply([m.text(ht("back", lang), main_menu(lang))], intent="human")
    resources = _crisis(ctx, inbound, lang)
    if resources or _asks_urgent(inbound):
        make_urgent(handoff)
    if resources:
        return Reply(resources, intent="crisis", handoff=True, kind="crisis")
    if conversation.mode == "waiting" and handoff.acknowledged_at is None and inbound.kind in ("text", "media"):
        handoff.acknowledged_at = now
        return Reply([m.text(ht("ack", lang) + "\n" + ht("how_to_leave", lang), [back_chip(lang)])], intent="human")
    return Reply([], intent="human")


def _postback(inbound: Inbound) -> dict:
    return dict(parse_qsl(inbound.data or "")) if inbound.kind == "postback" else {}


def _wants_bot(inbound: Inbound, mode: str) -> bool:
    # While waiting, the menu words end the wait too; once a coordinator is talking (or the chat is handled in OA
    # Manager) only 「ボットに戻る」 does, so a resident typing 「メニュー」 mid-conversation is not cut off.
    menu = mode == "waiting"
    if inbound.kind == "text":
        return normalize(inbound.text or "") in (RETURN_WORDS | MENU_WORDS if menu else RETURN_WORDS)
    return _postback(inbound).get("a") in (("bot", "menu") if menu else ("bot",))


def _asks_urgent(inbound: Inbound) -> bool:
    data = _postback(inbound)
    return data.get("a") == "human" and data.get("u") == "1"


def _crisis(ctx: BotContext, inbound: Inbound, lang: str) -> list[dict]:
    """Crisis resources at once, even while a person has the conversation."""
    if inbound.kind != "text" or not inbound.text:
        return []
    triage = classify(inbound.text)
    if triage.intent != "crisis" and triage.crisis != "urgent":
        return []
    return crisis_messages(ctx, inbound.text, "urgent", lang)


def finish(conversation: Conversation, handoff: Handoff, outcome: str, by: int | None, now: datetime) -> None:
    """Close the hand-off and give the conversation back to the bot (the caller holds the conversation lock)."""
    handoff.status, handoff.outcome, handoff.closed_at, handoff.closed_by = "closed", outcome, now, by
    conversation.mode = "bot"
    conversation.misunderstood_count = 0


def lock(session: Session, handoff_id: int) -> tuple[Handoff, Conversation]:
    """The hand-off, re-read after locking its resident's conversation row (the webhook's lock order)."""
    user_id = session.scalar(select(Handoff.user_id).where(Handoff.id == handoff_id))
    if user_id is None:
        raise HandoffError("この相談は見つかりません。")
    query = select(Conversation).where(Conversation.user_id == user_id).with_for_update()
    conversation = session.scalars(query).one_or_none()
    if conversation is None:  # the resident's data was erased: the anonymised record stays, nothing can be done
        raise HandoffError("この利用者の記録は削除されているため、操作できません。")
    handoff = session.get(Handoff, handoff_id, populate_existing=True)
    return handoff, conversation


def _require_open(handoff: Handoff) -> None:
    if handoff.status == "closed":
        raise HandoffError("この相談はすでに終了しています。")


def _take(handoff: Handoff, conversation: Conversation, admin_id: int, now: datetime, take_over: bool) -> None:
    _require_open(handoff)
    if handoff.status == "assigned" and handoff.assigned_to != admin_id:
        if not take_over:
            raise HandoffError("ほかの担当者が対応中です。引き継ぐ場合は「引き継ぐ」を押してください。")
    if handoff.status == "waiting" or handoff.assigned_to != admin_id:
        handoff.status, handoff.assigned_to, handoff.assigned_at = "assigned", admin_id, now
    conversation.mode = mode_for(handoff)


def assign(session: Session, handoff_id: int, admin_id: int, now: datetime, take_over: bool = False) -> Handoff:
    """A coordinator takes a waiting hand-off (or, with take_over, one assigned to someone else)."""
    handoff, conversation = lock(session, handoff_id)
    _take(handoff, conversation, admin_id, now, take_over)
    session.flush()
    return handoff


def fresh_reply_token(session: Session, conversation: Conversation, now: datetime | None = None) -> str | None:
    """The latest message's reply token while LINE still accepts it and nothing has used it yet."""
    token, at = conversation.last_reply_token, conversation.last_reply_token_at
    if not token or at is None or (now or utcnow()) - at >= REPLY_TOKEN_TTL:
        return None
    used = session.scalar(select(OutboxItem.id).where(OutboxItem.reply_token == token).limit(1))
    return None if used else token


def queue_messages(session: Session, conversation: Conversation, messages: list[dict], meta: dict) -> list[int]:
    """Queue messages to the resident: reply token when fresh (used once), else push with a retry key."""
    user = conversation.user
    token = fresh_reply_token(session, conversation)
    items = enqueue(session, user.id, user.line_user_id, messages, token, meta)
    if token:
        items[0].reply_token_at = conversation.last_reply_token_at  # its real age, not the time of queueing
        conversation.last_reply_token = None
        session.flush()
    return [item.id for item in items]


def send_coordinator_message(
    session: Session,
    handoff_id: int,
    admin_id: int,
    text: str,
    now: datetime,
    faq_id: str | None = None,
    messages: list[dict] | None = None,
) -> list[int]:
    """Queue a coordinator's message (a waiting hand-off is taken first); deliver the ids after commit."""
    text = (text or "").strip()
    if not text and not messages:
        raise HandoffError("メッセージが空です。")
    handoff, conversation = lock(session, handoff_id)
    _require_open(handoff)
    if handoff.status == "waiting":
        _take(handoff, conversation, admin_id, now, take_over=False)
    meta = {"intent": "coordinator", "faq_id": faq_id}
    sender = coordinator_sender(handoff_settings(session))  # a person, not the bot, in the resident's chat
    return queue_messages(session, conversation, as_coordinator(messages or [m.text(text)], sender), meta)


def close(
    session: Session, handoff_id: int, admin_id: int | None, outcome: str, now: datetime, notify_user: bool = True
) -> list[int]:
    """Close with an outcome category; the bot answers again (the resident is told unless notify_user is False)."""
    if outcome not in OUTCOMES:
        raise HandoffError("終了の区分を選んでください。")
    handoff, conversation = lock(session, handoff_id)
    _require_open(handoff)
    finish(conversation, handoff, outcome, admin_id, now)
    session.flush()
    if not notify_user or conversation.user.unfollowed_at is not None:
        return []
    lang = conversation.user.language
    notice = m.text(ht("closed_by_staff", lang), main_menu(lang))
    return queue_messages(session, conversation, [notice], {"intent": "human"})


def mark_oa_manager(session: Session, handoff_id: int, admin_id: int, now: datetime, on: bool = True) -> Handoff:
    """Mark the conversation as handled in LINE Official Account Manager's chat (the bot stays silent)."""
    handoff, conversation = lock(session, handoff_id)
    _require_open(handoff)
    if handoff.status == "waiting":
        _take(handoff, conversation, admin_id, now, take_over=False)
    handoff.oa_manager = on
    conversation.mode = mode_for(handoff)
    session.flush()
    return handoff


def add_note(session: Session, handoff_id: int, author_id: int | None, author: str | None, text: str) -> InternalNote:
    """An internal note on a hand-off (never sent to the resident)."""
    text = (text or "").strip()
    if not text:
        raise HandoffError("メモが空です。")
    if session.get(Handoff, handoff_id) is None:
        raise HandoffError("この相談は見つかりません。")
    note = InternalNote(handoff_id=handoff_id, author_id=author_id, author=(author or "")[:200] or None, text=text)
    session.add(note)
    session.flush()
    return note
