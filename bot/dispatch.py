"""The one place that decides the order: lifecycle events, media, postbacks, global words, flows, free text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session

from bot import messages as m
from bot.answer import answer_text, contact_reply
from bot.booking import flow as booking
from bot.cards import entry_reply
from bot.context import BotContext
from bot.flows import guided
from bot.inbound import Inbound
from bot.menu import EXTRA_PATHS, PATHS, back_to_menu, main_menu
from bot.models import Conversation
from bot.reply import Reply
from bot.texts import t
from knowledge.models import AnswerFeedback
from knowledge.text import normalize

FLOW_EXPIRY = timedelta(minutes=30)
MENU_WORDS = {
    normalize(w)
    for w in (
        "最初に戻る",
        "さいしょにもどる",
        "メニュー",
        "menu",
        "はじめから",
        "最初から",
        "トップ",
        "戻る",
        "もどる",
        "start over",
    )
}
LANGUAGE_WORDS = {
    normalize("やさしい日本語"): "easy",
    normalize("やさしいにほんご"): "easy",
    "english": "en",
    normalize("日本語"): "ja",
    normalize("にほんご"): "ja",
}

Handler = Callable[[BotContext, Session, Conversation, Inbound], Reply | None]


def dispatch(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply | None:
    """Route one event to the first handler that accepts it."""
    _expire_flow(ctx, conversation)
    for accepts, handler in ROUTES:
        if accepts(inbound):
            return handler(ctx, session, conversation, inbound)
    return None


def _expire_flow(ctx: BotContext, conversation: Conversation) -> None:
    updated = conversation.state_updated_at
    if conversation.flow and (updated is None or ctx.clock() - updated > FLOW_EXPIRY):
        clear_flow(conversation)


def clear_flow(conversation: Conversation) -> None:
    """Leave any flow (state and slots are forgotten)."""
    conversation.flow, conversation.state, conversation.slots = None, None, {}


def menu_reply(lang: str) -> Reply:
    """The main menu."""
    return Reply([m.text(t("menu.prompt", lang), main_menu(lang))])


def on_follow(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply:
    """Greeting: names the centre, what the bot does, how data is used, and the main paths."""
    lang = conversation.user.language
    body = t("greeting.follow", lang, centre=ctx.profile.name) + "\n\n" + t("privacy.line", lang)
    return Reply([m.text(body, main_menu(lang))], intent="greeting")


def on_media(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply:
    """Stickers, images, audio, location…: a kind note that only text is read."""
    lang = conversation.user.language
    return Reply([m.text(t("fallback.text_only", lang), main_menu(lang))])


def on_text(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply:
    """Global words, then the active flow, then the knowledge base (a digression offers to resume the flow)."""
    text = inbound.text or ""
    norm = normalize(text)
    user = conversation.user
    if norm in MENU_WORDS:
        clear_flow(conversation)
        return menu_reply(user.language)
    if norm in LANGUAGE_WORDS:
        user.language = LANGUAGE_WORDS[norm]
        return Reply([m.text(t("language.set", user.language), main_menu(user.language))])
    if conversation.flow in guided.GUIDED:
        reply = guided.on_text(ctx, session, conversation, text)
        if reply is not None:
            return reply
    if conversation.flow == booking.FLOW:
        reply = booking.on_text(ctx, session, conversation, text)
        if reply is not None:
            return reply
    reply = answer_text(ctx, session, conversation, text)
    resume = guided.resume_choice(conversation)
    if resume is not None and reply.intent not in guided.GUIDED:
        _add_chip(reply, resume)
    return reply


def _add_chip(reply: Reply, choice: m.Choice) -> None:
    last = reply.messages[-1]
    items = (last.get("quickReply") or {}).get("items", [])
    if len(items) < m.MAX_QUICK_REPLIES:
        last["quickReply"] = {"items": [{"type": "action", "action": choice.action()}, *items]}


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
    lang = conversation.user.language
    path = data.get("p")
    if path not in PATHS and path not in EXTRA_PATHS:
        return menu_reply(lang)
    clear_flow(conversation)
    if path in guided.GUIDED:
        return guided.start(ctx, session, conversation, path)
    if path == "human":
        return contact_reply(ctx, lang)
    if path == "booking":
        return booking.start(ctx, session, conversation, None)
    if path == "my_bookings":
        return booking.my_bookings(ctx, session, conversation)
    return _centre_info(ctx, session, lang)


def _centre_info(ctx, session, lang: str) -> Reply:
    index = ctx.knowledge.get(session)
    today = ctx.today()
    entries = [e for e in index.entries if e.topic == "centre_info" and e.is_valid_on(today)][:8]
    chips = [m.Choice(e.question, data={"a": "faq", "id": e.id}) for e in entries]
    chips += [m.Choice(t("label.human", lang), data={"a": "human"}), back_to_menu(lang)]
    label = t("label.centre_info", lang)
    return Reply([m.text(t("answer.path_intro", lang, label=label), chips)], intent="centre_info")


def _step(ctx, session, conversation, data) -> Reply:
    return guided.on_step(ctx, session, conversation, data)


def _resume(ctx, session, conversation, data) -> Reply:
    return guided.resume(ctx, session, conversation) or menu_reply(conversation.user.language)


def _faq(ctx, session, conversation, data) -> Reply:
    lang = conversation.user.language
    ctx.knowledge.get(session)
    entry = ctx.knowledge.entry(data.get("id", ""))
    if entry is None or not entry.is_valid_on(ctx.today()):
        return Reply([m.text(t("answer.dont_know", lang), main_menu(lang))], understood=False)
    return entry_reply(ctx, entry, lang)


def _feedback(ctx, session, conversation, data) -> Reply:
    lang = conversation.user.language
    helpful = data.get("v") == "1"
    if data.get("id"):
        session.add(AnswerFeedback(faq_id=data["id"][:80], user_id=conversation.user_id, helpful=helpful))
    if helpful:
        return Reply([m.text(t("answer.feedback_yes", lang), main_menu(lang))])
    chips = [m.Choice(t("label.human", lang), data={"a": "human"}), back_to_menu(lang)]
    return Reply([m.text(t("answer.feedback_no", lang), chips)])


def _human(ctx, session, conversation, data) -> Reply:
    return contact_reply(ctx, conversation.user.language)


def _language(ctx, session, conversation, data) -> Reply:
    lang = data.get("l") if data.get("l") in ("ja", "easy", "en") else "ja"
    conversation.user.language = lang
    return Reply([m.text(t("language.set", lang), main_menu(lang))])


def _unknown_postback(ctx, session, conversation, data) -> Reply:
    return Reply(menu_reply(conversation.user.language).messages, understood=False)


POSTBACKS = {
    "menu": _menu,
    "path": _path,
    "step": _step,
    "resume": _resume,
    "faq": _faq,
    "fb": _feedback,
    "human": _human,
    "lang": _language,
}

ROUTES: list[tuple[Callable[[Inbound], bool], Handler]] = [
    (lambda e: e.kind == "follow", on_follow),
    (lambda e: e.kind == "media", on_media),
    (lambda e: e.kind == "postback", on_postback),
    (lambda e: e.kind == "text", on_text),
]
