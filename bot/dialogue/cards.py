"""FAQ answers as LINE messages: the answer card with its source, next steps and 「役に立ちましたか」."""

from __future__ import annotations

import re

from bot.dialogue.menu import back_to_menu
from bot.dialogue.reply import Reply
from bot.dialogue.sources import cite
from bot.dialogue.texts import t
from bot.line import messages as m
from bot.platform.context import BotContext
from knowledge.entries import Entry

_PLACEHOLDER = re.compile(r"\{\{\s*centre\.(\w+)\s*\}\}")


def render_answer(ctx: BotContext, entry: Entry, lang: str = "ja") -> str:
    """The entry's answer in register `lang` with {{centre.KEY}} placeholders filled from the centre profile;
    when that register is missing, the Japanese answer after a note (in `lang`) saying so."""
    text = entry.answer_for(lang)
    if not entry.has_answer_in(lang):
        text = f"{t('answer.only_japanese', lang)}\n\n{text}"
    return fill_placeholders(ctx, text)


def fill_placeholders(ctx: BotContext, text: str) -> str:
    """`text` with {{centre.KEY}} placeholders filled from the centre profile (unknown keys left as written)."""
    values = ctx.profile.placeholders()
    return _PLACEHOLDER.sub(lambda mt: values.get(mt.group(1), mt.group(0)), text)


def entry_reply(
    ctx: BotContext,
    entry: Entry,
    lang: str = "ja",
    confidence: float | None = None,
    intent: str | None = None,
    extra: list[m.Choice] | None = None,
) -> Reply:
    """An answer card in the resident's register (with its source and next steps) followed by 「役に立ちましたか」."""
    follow = entry.follow_up or {}
    buttons: list[m.Choice] = []
    if follow.get("booking"):
        buttons.append(m.Choice(t("label.book_now", lang), data={"a": "book", "t": follow["booking"]}))
    buttons.append(m.Choice(t("label.human", lang), data={"a": "human"}))
    title = fill_placeholders(ctx, entry.question_for(lang))
    body = render_answer(ctx, entry, lang)
    card = m.Card(title=title, body=body, footnote=cite(entry.source), buttons=buttons)
    related = [
        m.Choice(rid_label(ctx, rid, lang), data={"a": "faq", "id": rid}) for rid in follow.get("related", [])[:3]
    ]
    feedback = [
        m.Choice(t("label.helpful_yes", lang), data={"a": "fb", "id": entry.id, "v": "1"}),
        m.Choice(t("label.helpful_no", lang), data={"a": "fb", "id": entry.id, "v": "0"}),
        *(extra or []),
        *related,
        back_to_menu(lang),
    ]
    seen: set[str] = set()
    feedback = [c for c in feedback if not (c.label in seen or seen.add(c.label))]
    return Reply(
        [m.card(card), m.text(t("answer.helpful", lang), feedback)],
        intent=intent or entry_intent(entry),
        confidence=confidence,
        faq_id=entry.id,
        kind="answer",
    )


def entry_intent(entry: Entry) -> str:
    """The triage intent an entry's topic belongs to."""
    return "out_of_scope" if entry.topic == "referral" else entry.topic


def rid_label(ctx: BotContext, entry_id: str, lang: str = "ja") -> str:
    """Short chip label for a related entry (its question in register `lang`)."""
    entry = ctx.knowledge.entry(entry_id)
    return entry.question_for(lang) if entry else entry_id
