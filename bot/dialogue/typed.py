"""Typed text, in this order: global words, crisis, other languages, menu labels, the flow, path phrases, FAQ.

    最初に戻る / menu words ─────────────▶ main menu (any flow is left)
    配信停止 / stop / お知らせ ─────────────▶ notices stopped / their settings (bot.notices.chat)
    やさしい日本語 / English / 日本語 ──────▶ language set
    crisis words (urgent) ───────────────▶ resources at once; any flow is left, never continued over it
    Chinese, Vietnamese, Korean… ────────▶ we answer in Japanese and English; a person is offered
    a main-menu label ───────────────────▶ that path, as if tapped
    the active guided step ──────────────▶ its answer (typed instead of tapped)
    a path phrase ───────────────────────▶ that path (「ボランティアをしたいです」, 「町内会を解散したい」)
    anything else ───────────────────────▶ the FAQ; inside a path that is a digression: the answer plus
                                           「…の続き」, or, when the FAQ has nothing, the step asked again
Gentle distress words (「死ぬほど忙しい」) add a short note with resources to whatever the reply is.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot.booking import flow as booking
from bot.dialogue.answer import answer_text
from bot.dialogue.crisis import crisis_messages
from bot.dialogue.flows import guided
from bot.dialogue.language import other_language, other_language_reply
from bot.dialogue.menu import main_menu
from bot.dialogue.navigation import MENU_WORDS, TYPED_PATHS, clear_flow, menu_reply, open_path
from bot.dialogue.reply import Reply
from bot.dialogue.texts import t
from bot.handoff import service as handoff
from bot.line import messages as m
from bot.notices import chat as notices
from bot.platform.context import BotContext
from bot.platform.models import Conversation
from intents import Triage, classify
from intents.classifier import detect_language
from knowledge.text import normalize

LANGUAGE_WORDS = {
    normalize("やさしい日本語"): "easy",
    normalize("やさしいにほんご"): "easy",
    "easyjapanese": "easy",
    "english": "en",
    normalize("英語"): "en",
    normalize("えいご"): "en",
    "japanese": "ja",
    normalize("日本語"): "ja",
    normalize("にほんご"): "ja",
}
EN_GUIDE_CONFIDENCE = 0.5
EN_QUESTION_WORDS = {"how", "what", "where", "when", "which", "why", "can", "could", "does", "should", "many", "much"}
UNREAD_CONFIDENCE = 0.5
_ENGLISH_WORD = re.compile(r"[a-z]{3,}")
_KANA = re.compile(r"[\u3040-\u30ff]")


def on_text(ctx: BotContext, session: Session, conversation: Conversation, text: str) -> Reply:
    """The reply to one typed message."""
    norm = normalize(text)
    user = conversation.user
    if norm in MENU_WORDS:
        clear_flow(conversation)
        return menu_reply(user.language)
    if (settings := notices.on_text(ctx, session, conversation, text)) is not None:  # 「配信停止」, 「お知らせ」
        return settings
    if norm in LANGUAGE_WORDS:
        user.language = LANGUAGE_WORDS[norm]
        return Reply([m.text(t("language.set", user.language), main_menu(user.language))])
    matches = ctx.knowledge.get(session).search(text, ctx.today(), k=1)
    triage = classify(text, matches[0].entry.topic if matches else None, matches[0].score if matches else 0.0)
    _follow_language(conversation, text)  # before a crisis reply: Japanese words are answered in Japanese
    if triage.intent == "crisis":
        clear_flow(conversation)
        messages = crisis_messages(ctx, text, "urgent", user.language)
        return Reply(messages, intent="crisis", confidence=triage.confidence, handoff=True, kind="crisis")
    if code := other_language(text):
        return other_language_reply(code)
    reply = _in_flow_or_answer(ctx, session, conversation, text, triage)
    if triage.crisis == "gentle":
        with_note(reply, crisis_messages(ctx, text, "gentle", user.language))
    return reply


def _follow_language(conversation: Conversation, text: str) -> None:
    """English typed by a resident set to Japanese switches to English; plenty of kana switches back."""
    user = conversation.user
    if user.language == "ja" and detect_language(text) == "en" and _ENGLISH_WORD.search(text):
        user.language = "en"
    elif user.language == "en" and len(_KANA.findall(text)) >= 4:
        user.language = "ja"


def _in_flow_or_answer(
    ctx: BotContext, session: Session, conversation: Conversation, text: str, triage: Triage
) -> Reply:
    if (path := TYPED_PATHS.get(normalize(text))) is not None:  # a menu button's words, typed
        return open_path(ctx, session, conversation, path)
    if conversation.flow in guided.GUIDED:
        reply = guided.on_text(ctx, session, conversation, text)
        if reply is not None:
            return reply
    if conversation.flow == booking.FLOW:
        reply = booking.on_text(ctx, session, conversation, text)
        if reply is not None:
            return reply
    path = guided.started_path(text)
    if path is not None and path == conversation.flow:  # 「ボランティアしたいんです」 again: keep the answers so far
        return guided.resume(ctx, session, conversation) or open_path(ctx, session, conversation, path, text)
    if path is None and _guides_in_english(conversation, triage, text):
        path = triage.intent  # the FAQ's cards are Japanese; the paths ask and summarise in English
    if path is not None:
        return open_path(ctx, session, conversation, path, text)
    return _digression(ctx, session, conversation, text)


def _guides_in_english(conversation: Conversation, triage: Triage, text: str) -> bool:
    """An English request for a main path (「I want to volunteer」, not a specific question) gets the path."""
    asks = "?" in text or bool(set(re.findall(r"[a-z]+", text.lower())) & EN_QUESTION_WORDS)
    return (
        conversation.user.language == "en"
        and conversation.flow is None
        and not asks
        and triage.intent in guided.GUIDED
        and triage.confidence >= EN_GUIDE_CONFIDENCE
    )


def _digression(ctx: BotContext, session: Session, conversation: Conversation, text: str) -> Reply:
    """The FAQ's answer; inside a guided path it offers to resume, or asks the step again when it has nothing."""
    before = (conversation.flow, conversation.state, dict(conversation.slots or {}))
    resume = guided.resume_choice(conversation)
    reply = answer_text(ctx, session, conversation, text)
    if reply.intent == "human":  # 「人と話したい」 in other words: a real hand-off, not just the phone number
        return handoff.request(ctx, session, conversation, "asked")
    if resume is None or reply.intent == "crisis":
        return reply
    restarted = conversation.flow == before[0] and guided.asks_a_step(reply)
    if restarted:  # more words about the same path are no reason to forget the answers so far
        conversation.flow, conversation.state, conversation.slots = before
    elif conversation.flow != before[0] or conversation.state != before[1]:
        return reply  # the resident went somewhere else (another path, the booking flow)
    if restarted or _unread(reply):
        return guided.on_text(ctx, session, conversation, text, strict=False) or guided.reask(conversation) or reply
    add_chip_first(reply, resume)
    return reply


def _unread(reply: Reply) -> bool:
    """The FAQ had nothing: 「わかりません」, or out of scope only for want of any evidence."""
    weak = reply.intent == "out_of_scope" and (reply.confidence or 0) < UNREAD_CONFIDENCE and not reply.faq_id
    return not reply.understood or weak


def add_chip_first(reply: Reply, choice: m.Choice) -> None:
    """Put a chip first in the last message's quick replies (dropping the one before 「最初に戻る」 if full)."""
    if not reply.messages:
        return
    last = reply.messages[-1]
    items = [{"type": "action", "action": choice.action()}, *(last.get("quickReply") or {}).get("items", [])]
    if len(items) > m.MAX_QUICK_REPLIES:
        del items[-2]
    last["quickReply"] = {"items": items}


def with_note(reply: Reply, notes: list[dict]) -> None:
    """Insert messages before the last one (which carries the quick replies), keeping at most five."""
    if not reply.messages:
        reply.messages = notes[-m.MAX_MESSAGES :]
        return
    messages = [*reply.messages[:-1], *notes, reply.messages[-1]]
    reply.messages = messages[-m.MAX_MESSAGES :]
