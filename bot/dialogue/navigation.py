"""Where a menu button (tapped or typed) leads: the main menu, a main path, the centre's FAQ, or a person."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.booking import flow as booking
from bot.booking.mine import my_bookings
from bot.dialogue.flows import guided
from bot.dialogue.menu import EXTRA_PATHS, PATHS, back_to_menu, main_menu
from bot.dialogue.reply import Reply
from bot.dialogue.texts import TEXTS, t
from bot.handoff import service as handoff
from bot.line import messages as m
from bot.notices import chat as notices
from bot.platform.context import BotContext
from bot.platform.models import Conversation
from knowledge.text import normalize

FLOW_EXPIRY = timedelta(minutes=30)
MENU_WORDS = {
    normalize(w)
    for w in (
        *TEXTS["label.menu"].values(),
        "最初に戻る",
        "さいしょにもどる",
        "メニュー",
        "メインメニュー",
        "menu",
        "main menu",
        "はじめから",
        "最初から",
        "トップ",
        "戻る",
        "もどる",
        "start over",
    )
}
# Typed main-menu labels (any language) do what tapping them does.
TYPED_PATHS = {normalize(text): path for path in PATHS for text in TEXTS[f"label.{path}"].values()}


def expire_flow(ctx: BotContext, conversation: Conversation) -> None:
    """Forget a flow left untouched for FLOW_EXPIRY (the resident starts afresh)."""
    updated = conversation.state_updated_at
    if conversation.flow and (updated is None or ctx.clock() - updated > FLOW_EXPIRY):
        clear_flow(conversation)


def clear_flow(conversation: Conversation) -> None:
    """Leave any flow (state and slots are forgotten)."""
    conversation.flow, conversation.state, conversation.slots = None, None, {}


def menu_reply(lang: str, understood: bool = True) -> Reply:
    """The main menu."""
    chips = [*main_menu(lang), notices.menu_choice(lang)]  # the opt-in notices' entry
    return Reply([m.text(t("menu.prompt", lang), chips)], understood=understood)


def open_path(
    ctx: BotContext, session: Session, conversation: Conversation, path: str | None, text: str | None = None
) -> Reply:
    """A main-menu path: a guided path (with what typed `text` already answers), booking, my bookings, a person,
    or the centre's FAQ."""
    lang = conversation.user.language
    if path not in PATHS and path not in EXTRA_PATHS:
        return menu_reply(lang)
    clear_flow(conversation)
    if path in guided.GUIDED:
        return guided.start(ctx, session, conversation, path, text)
    if path == "human":
        return handoff.request(ctx, session, conversation, "asked")
    if path == "booking":
        return booking.start(ctx, session, conversation, None)
    if path == "my_bookings":
        return my_bookings(ctx, session, conversation)
    return centre_info(ctx, session, lang)


def centre_info(ctx: BotContext, session: Session, lang: str) -> Reply:
    """Common questions about the centre as chips."""
    index = ctx.knowledge.get(session)
    today = ctx.today()
    entries = [e for e in index.entries if e.topic == "centre_info" and e.is_valid_on(today)][:8]
    chips = [m.Choice(e.question_for(lang), data={"a": "faq", "id": e.id}) for e in entries]
    chips += [m.Choice(t("label.human", lang), data={"a": "human"}), back_to_menu(lang)]
    label = t("label.centre_info", lang)
    return Reply([m.text(t("answer.path_intro", lang, label=label), chips)], intent="centre_info", kind="menu")
