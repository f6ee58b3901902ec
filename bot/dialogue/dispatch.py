"""The one place that decides the order: hand-off guard, lifecycle events, media, postbacks, typed text.

    event ──▶ bot.handoff guard (a person has the conversation: mostly silent; 「ボットに戻る」/menu return)
          ──▶ follow / media / postback / text (bot.dialogue.typed) ──▶ hand-off triggers (crisis, twice not understood)
Tapping or typing 「相談員と話したい」 hands the resident to a person (bot.handoff.service.request).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session

from bot.booking import flow as booking
from bot.dialogue import misses, typed
from bot.dialogue.cards import entry_reply
from bot.dialogue.flows import guided
from bot.dialogue.menu import back_to_menu, main_menu
from bot.dialogue.navigation import FLOW_EXPIRY, clear_flow, expire_flow, menu_reply, open_path
from bot.dialogue.reply import Reply
from bot.dialogue.texts import TEXTS, t
from bot.handoff import service as handoff
from bot.handoff import triggers
from bot.line import messages as m
from bot.line.inbound import Inbound
from bot.notices import chat as notices
from bot.platform.context import BotContext
from bot.platform.models import Conversation
from knowledge.models import AnswerFeedback
from knowledge.text import normalize

__all__ = ["FLOW_EXPIRY", "clear_flow", "dispatch", "menu_reply"]
ASK_WORDS = {normalize(w) for w in TEXTS["label.human"].values()}

Handler = Callable[[BotContext, Session, Conversation, Inbound], Reply | None]


def dispatch(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply | None:
    """Route one event to the first handler that accepts it, behind the hand-off guard and triggers."""
    if (stopped := notices.stop_request(ctx, session, conversation, inbound)) is not None:
        return stopped  # 「配信停止」 is honoured even while a person has the conversation
    if inbound.kind not in ("follow", "unfollow"):
        held = handoff.guard(ctx, session, conversation, inbound)
        if held is not None:
            return held
    expire_flow(ctx, conversation)
    for accepts, handler in ROUTES:
        if accepts(inbound):
            return triggers.after_reply(ctx, session, conversation, handler(ctx, session, conversation, inbound))
    return None


def on_follow(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply:
    """Greeting: names the centre, what the bot does, how data is used, and the main paths."""
    lang = conversation.user.language
    body = t("greeting.follow", lang, centre=ctx.profile.name) + "\n\n" + t("privacy.line", lang)
    conversation.user.consent_at = ctx.clock()  # the privacy notice is given with this greeting; kept as evidence
    return Reply([m.text(body, main_menu(lang))], intent="greeting")


def on_media(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply:
    """Stickers, images, audio, location…: a kind note that only text is read."""
    lang = conversation.user.language
    return Reply([m.text(t("fallback.text_only", lang), main_menu(lang))])


def on_text(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply:
    """「相談員と話したい」 typed is a hand-off; everything else is bot.dialogue.typed's."""
    text = inbound.text or ""
    if normalize(text) in ASK_WORDS:
        return handoff.request(ctx, session, conversation, "asked")
    register = conversation.user.language  # the previous card's, before this message may switch it
    reply = typed.on_text(ctx, session, conversation, text)
    misses.note_rephrase(session, conversation, inbound, reply, register)  # the same question asked again
    return reply


def on_postback(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply:
    """Buttons and chips: data is a small query string with an action `a`."""
    data = dict(parse_qsl(inbound.data or "", keep_blank_values=True))
    if inbound.params:
        data["params"] = dict(inbound.params)
    action = data.get("a", "")
    if action == "book" or action.startswith("bk"):
        return booking.on_postback(ctx, session, conversation, data)
    handler = POSTBACKS.get(action, _unknown_postback)
    return handler(ctx, session, conversation, data)


def _menu(ctx, session, conversation, data) -> Reply:
    clear_flow(conversation)
    return menu_reply(conversation.user.language)


def _path(ctx, session, conversation, data) -> Reply:
    return open_path(ctx, session, conversation, data.get("p"))


def _step(ctx, session, conversation, data) -> Reply:
    reply = guided.on_step(ctx, session, conversation, data)
    return reply or menu_reply(conversation.user.language, understood=False)


def _resume(ctx, session, conversation, data) -> Reply:
    return guided.resume(ctx, session, conversation) or menu_reply(conversation.user.language)


def _faq(ctx, session, conversation, data) -> Reply:
    lang = conversation.user.language
    ctx.knowledge.get(session)
    entry = ctx.knowledge.entry(data.get("id", ""))
    if entry is None or not entry.is_valid_on(ctx.today()):
        return Reply([m.text(t("answer.dont_know", lang), main_menu(lang))], understood=False)
    reply = entry_reply(ctx, entry, lang)
    if resume := guided.resume_choice(conversation):  # a related question tapped in the middle of a path
        typed.add_chip_first(reply, resume)
    return reply


def _feedback(ctx, session, conversation, data) -> Reply:
    lang = conversation.user.language
    helpful = data.get("v") == "1"
    if data.get("id"):
        session.add(AnswerFeedback(faq_id=data["id"][:80], user_id=conversation.user_id, helpful=helpful))
        if not helpful:  # a confident answer that missed: the question goes to staff's unanswered inbox
            misses.record_unhelpful(ctx, session, conversation, data["id"])
    if helpful:
        ctx.knowledge.get(session)
        entry = ctx.knowledge.entry(data.get("id", "")) if data.get("id") else None
        offer = notices.offer_after_helpful(ctx, session, conversation, entry.topic if entry else None)
        return offer or Reply([m.text(t("answer.feedback_yes", lang), main_menu(lang))])
    chips = [m.Choice(t("label.human", lang), data={"a": "human", "r": "unhelpful"}), back_to_menu(lang)]
    return Reply([m.text(t("answer.feedback_no", lang), chips)])


def _human(ctx, session, conversation, data) -> Reply:
    return triggers.on_postback(ctx, session, conversation, data)


def _language(ctx, session, conversation, data) -> Reply:
    lang = data.get("l") if data.get("l") in ("ja", "easy", "en") else "ja"
    conversation.user.language = lang
    return Reply([m.text(t("language.set", lang), main_menu(lang))])


def _unknown_postback(ctx, session, conversation, data) -> Reply:
    return menu_reply(conversation.user.language, understood=False)


POSTBACKS = {
    "menu": _menu,
    "path": _path,
    "step": _step,
    "resume": _resume,
    "faq": _faq,
    "fb": _feedback,
    "human": _human,
    "lang": _language,
    "nt": notices.on_postback,  # opt-in notices: topics, ward, stop
}

ROUTES: list[tuple[Callable[[Inbound], bool], Handler]] = [
    (lambda e: e.kind == "follow", on_follow),
    (lambda e: e.kind == "media", on_media),
    (lambda e: e.kind == "postback", on_postback),
    (lambda e: e.kind == "text", on_text),
]
