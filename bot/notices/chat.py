"""Opting in and out in the chat: topics chosen with chips, an optional ward, 「配信停止」 at any time.

    a=nt (menu 「お知らせを受け取る」, a notice's 「お知らせの設定」, the offer after a helpful answer)
      ──▶ TOPICS: each topic chip toggles ✓ (the choice so far rides in the postback data `s`)
      ──決定──▶ WARD (two pages of chips; 「区は選ばない」) ──▶ saved: consent and its time recorded
    「配信停止」「お知らせ停止」「stop」 typed, or a=nt&do=stop ──▶ every notice stopped

Stateless: every chip carries the choice so far, so the conversation's flow (a guided path, a booking) is
left as it was.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from sqlalchemy.orm import Session

from bot.dialogue.menu import back_to_menu, main_menu
from bot.dialogue.reply import Reply
from bot.dialogue.texts import t
from bot.line import messages as m
from bot.line.inbound import Inbound
from bot.notices.models import TOPICS, WARD_NAMES, WARDS
from bot.notices.service import clean_topics, note_offer, stop, subscribe, subscription
from bot.notices.texts import TEXTS, nt, topic_name, ward_name
from bot.platform.context import BotContext
from bot.platform.models import Conversation
from knowledge.text import normalize

STOP_WORDS = {
    normalize(w)
    for w in (
        *TEXTS["label.stop"].values(),
        "配信停止",
        "はいしんていし",
        "お知らせ停止",
        "おしらせ停止",
        "おしらせていし",
        "お知らせを止める",
        "お知らせをやめる",
        "配信を停止",
        "配信をやめる",
        "stop",
        "unsubscribe",
    )
}
OPEN_WORDS = {
    normalize(w)
    for w in (*TEXTS["label.open"].values(), *TEXTS["label.settings"].values(), "お知らせ", "おしらせ", "notices")
}
WARD_PAGE = 10  # wards per chip page (with 「区は選ばない」 and the page link: at most 13 chips)


def on_text(ctx: BotContext, session: Session, conversation: Conversation, text: str) -> Reply | None:
    """「配信停止」 and its variants stop every notice; 「お知らせ」 opens the settings; anything else: None."""
    norm = normalize(text)
    if norm in STOP_WORDS:
        return _stop(ctx, session, conversation)
    if norm in OPEN_WORDS:
        return _topics(session, conversation, None)
    return None


def stop_request(ctx: BotContext, session: Session, conversation: Conversation, inbound: Inbound) -> Reply | None:
    """「配信停止」 typed or the stop chip tapped (checked before anything else, a hand-off included); else None."""
    if inbound.kind == "text" and normalize(inbound.text or "") in STOP_WORDS:
        return _stop(ctx, session, conversation)
    if inbound.kind == "postback":
        data = dict(parse_qsl(inbound.data or ""))
        if data.get("a") == "nt" and data.get("do") == "stop":
            return _stop(ctx, session, conversation)
    return None


def on_postback(ctx: BotContext, session: Session, conversation: Conversation, data: dict) -> Reply:
    """A tap on one of the notices' chips (a=nt)."""
    do = data.get("do", "")
    chosen = clean_topics((data.get("s") or "").split(","))
    if do == "stop":
        return _stop(ctx, session, conversation)
    if do == "t":
        toggled = data.get("t", "")
        chosen = clean_topics([x for x in chosen if x != toggled] + ([toggled] if toggled not in chosen else []))
        return _topics(session, conversation, chosen)
    if do == "ok":
        if not chosen:
            return _topics(session, conversation, chosen, note=nt("need_topic", conversation.user.language))
        return _wards(conversation, chosen, 0)
    if do == "wp":
        return _wards(conversation, chosen, 1 if data.get("p") == "1" else 0)
    if do == "w" and chosen:
        return _save(ctx, session, conversation, chosen, data.get("w") or None)
    return _topics(session, conversation, chosen or None)


def _topics(session: Session, conversation: Conversation, chosen: list | None, note: str | None = None) -> Reply:
    """The topic chips (✓ on the chosen ones), 決定, 配信停止 when subscribed, and 最初に戻る."""
    lang = conversation.user.language
    sub = subscription(session, conversation.user_id)
    lines = [note] if note else []
    lines.append(nt("choose_topics", lang))
    if sub is not None and sub.active:
        names = "、".join(topic_name(x, lang) for x in sub.topics)
        lines.append(nt("current", lang, topics=names, ward=ward_name(sub.ward, lang)))
        chosen = list(sub.topics) if chosen is None else chosen
    chosen = chosen or []
    s = ",".join(chosen)
    chips = [
        m.Choice(("✓ " if x in chosen else "") + topic_name(x, lang), data={"a": "nt", "do": "t", "t": x, "s": s})
        for x in TOPICS
    ]
    chips.append(m.Choice(nt("label.done", lang), data={"a": "nt", "do": "ok", "s": s}))
    if sub is not None and sub.active:
        chips.append(m.Choice(nt("label.stop", lang), data={"a": "nt", "do": "stop"}))
    chips.append(back_to_menu(lang))
    return Reply([m.text("\n\n".join(lines), chips)], kind="menu")


def _wards(conversation: Conversation, chosen: list, page: int) -> Reply:
    """One page of ward chips, 「区は選ばない」 first."""
    lang, s = conversation.user.language, ",".join(chosen)
    chips = [m.Choice(nt("label.no_ward", lang), data={"a": "nt", "do": "w", "s": s, "w": ""})]
    for code, _name in WARDS[page * WARD_PAGE : (page + 1) * WARD_PAGE]:
        chips.append(m.Choice(ward_name(code, lang), data={"a": "nt", "do": "w", "s": s, "w": code}))
    other = "label.back_wards" if page else "label.more_wards"
    chips.append(m.Choice(nt(other, lang), data={"a": "nt", "do": "wp", "s": s, "p": "0" if page else "1"}))
    return Reply([m.text(nt("choose_ward", lang), chips)], kind="menu")


def _save(ctx: BotContext, session: Session, conversation: Conversation, chosen: list, ward: str | None) -> Reply:
    lang = conversation.user.language
    ward = ward if ward in WARD_NAMES else None
    sub = subscribe(session, conversation.user_id, chosen, ward, ctx.clock())
    names = "、".join(topic_name(x, lang) for x in sub.topics)
    text = nt("saved", lang, topics=names, ward=ward_name(sub.ward, lang))
    chips = [m.Choice(nt("label.settings", lang), data={"a": "nt"}), back_to_menu(lang)]
    return Reply([m.text(text, chips)])


def _stop(ctx: BotContext, session: Session, conversation: Conversation) -> Reply:
    lang = conversation.user.language
    stopped = stop(session, conversation.user_id, ctx.clock())
    text = nt("stopped" if stopped else "not_subscribed", lang)
    return Reply([m.text(text, main_menu(lang))])


def menu_choice(lang: str = "ja") -> m.Choice:
    """The main menu's 「お知らせを受け取る」 chip."""
    return m.Choice(nt("label.open", lang), data={"a": "nt"})


def offer_after_helpful(
    ctx: BotContext, session: Session, conversation: Conversation, topic: str | None
) -> Reply | None:
    """After a helpful answer: once per resident, and only to one who never chose, offer notices on the topic."""
    if subscription(session, conversation.user_id) is not None:  # chosen, stopped, or offered before
        return None
    note_offer(session, conversation.user_id, ctx.clock())
    lang = conversation.user.language
    wanted = topic if topic in TOPICS else None
    offer = nt("offer", lang, topic=topic_name(wanted, lang)) if wanted else nt("offer_any", lang)
    text = t("answer.feedback_yes", lang) + "\n\n" + offer
    data = {"a": "nt", "s": wanted} if wanted else {"a": "nt"}
    chips = [m.Choice(nt("label.open", lang), data=data), *main_menu(lang)]
    return Reply([m.text(text, chips)])
