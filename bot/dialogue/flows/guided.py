"""The four guided paths (volunteer, founding, dissolution, partnering) as data-driven state machines.

Each path (bot/data/paths.yaml, read by bot/dialogue/flows/paths.py) is a few steps; every step is a state named after
its id, plus the implicit END. A step asks one question with choices; the answers fill slots; the first
outcome whose conditions match the slots ends the path with an answer card and next steps.

    start ──> step 1 ──> step 2 ──> … ──> outcome (END)
      the next step is always the first unanswered one that applies, so a stale tap on an earlier message
      changes that answer (later ones are asked again) and a tap from a finished path starts it over there;
      any state: 最初に戻る → menu; 相談員と話したい → person; crisis words → resources (the path is left);
      other text → an answer to the step, or a digression answered from the FAQ with 「…の続き」 to resume.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.dialogue.cards import entry_reply, rid_label
from bot.dialogue.flows.paths import (
    Option,
    Outcome,
    Path_,
    Step,
    label,
    load_paths,
    looks_like_question,
    matches,
    started_path,
    typed_option,
    typed_ward,
)
from bot.dialogue.menu import back_to_menu
from bot.dialogue.reply import Reply
from bot.dialogue.texts import t
from bot.line import messages as m
from bot.platform.context import BotContext
from bot.platform.models import Conversation

__all__ = [
    "GUIDED",
    "asks_a_step",
    "load_paths",
    "on_step",
    "on_text",
    "reask",
    "resume",
    "resume_choice",
    "start",
    "started_path",
]
GUIDED = ("volunteer", "founding", "dissolution", "partnering")
WARD = "ward"  # the `area` value when a ward was typed; its name is kept in the `ward_name` slot
AWAY = "_away"  # slot: turns spent away from the path's question since it was last asked or answered
MAX_AWAY_TURNS = 2  # 「…の続き」 is offered this many turns away; after that the resident has moved on


def _next_step(path: Path_, slots: dict) -> Step | None:
    return next((s for s in path.steps if s.id not in slots and matches(s.only_if, slots)), None)


def _ask(path: Path_, step: Step, conversation: Conversation, prefix: str | None = None) -> Reply:
    lang = conversation.user.language
    chips = [
        m.Choice(o.label(lang), data={"a": "step", "f": path.id, "s": step.id, "v": o.value})
        for o in step.offered(conversation.slots or {})
    ]
    chips += [m.Choice(t("label.human", lang), data={"a": "human", "r": "path"}), back_to_menu(lang)]
    body = label(step.ask, lang) if prefix is None else f"{prefix}\n{label(step.ask, lang)}"
    return Reply([m.text(body, chips)], intent=path.id, kind="menu")


def start(
    ctx: BotContext, session: Session, conversation: Conversation, path_id: str, text: str | None = None
) -> Reply:
    """Begin a path; answers the opening message already gives (「町内会を解散したい」 → kind) are kept."""
    path = load_paths()[path_id]
    conversation.flow, conversation.state, conversation.slots = path.id, None, {}
    conversation.state_updated_at = ctx.clock()
    slots: dict = {}
    progress = bool(text)
    while progress:  # every step the message already answers, in any order (「青葉区の学生です」: who and area)
        progress = False
        for step in path.steps:
            if step.id in slots or not matches(step.only_if, slots):
                continue
            if step.ward and (ward := typed_ward(path, text)):
                slots[step.id], slots["ward_name"], progress = WARD, ward, True
            elif (option := typed_option(step, text, slots)) is not None:
                slots[step.id], progress = option.value, True
    conversation.slots = slots
    lang = conversation.user.language
    named = "／".join(o.label(lang) for s in path.steps if (o := s.option(slots.get(s.id))))
    prefix = t("path.understood", lang, title=label(path.title, lang), choices=named) if named else None
    return _advance(ctx, session, conversation, path, prefix)


def _advance(
    ctx: BotContext, session: Session, conversation: Conversation, path: Path_, prefix: str | None = None
) -> Reply:
    step = _next_step(path, conversation.slots or {})
    if step is None:
        return finish(ctx, session, conversation, path)
    conversation.state = step.id
    return _ask(path, step, conversation, prefix)


def on_step(ctx: BotContext, session: Session, conversation: Conversation, data: dict) -> Reply | None:
    """A tapped answer (also stale ones from earlier messages); None when the button no longer exists."""
    path = load_paths().get(data.get("f", ""))
    step = path.step(data.get("s", "")) if path else None
    option = step.option(data.get("v")) if step else None
    if option is None:
        return None
    if conversation.flow != path.id:
        conversation.flow, conversation.slots = path.id, {}
    return _choose(ctx, session, conversation, path, step, option.value)


def _choose(ctx, session, conversation, path: Path_, step: Step, value: str, extra: dict | None = None) -> Reply:
    later = {s.id for s in path.steps[path.index(step.id) :]} | ({"ward_name"} if step.ward else set())
    slots = {k: v for k, v in (conversation.slots or {}).items() if k not in later and k != AWAY}
    slots.update(extra or {})
    slots[step.id] = value
    conversation.slots = slots
    conversation.state_updated_at = ctx.clock()
    return _advance(ctx, session, conversation, path)


def _current(conversation: Conversation) -> tuple[Path_, Step] | tuple[None, None]:
    path = load_paths().get(conversation.flow or "")
    step = path.step(conversation.state) if path else None
    return (path, step) if step else (None, None)


def on_text(
    ctx: BotContext, session: Session, conversation: Conversation, text: str, strict: bool = True
) -> Reply | None:
    """Typed text in place of a button; None when it does not answer the current step (a digression).

    `strict` treats a whole question (「…はありますか？」) as a digression even when it names an option.
    """
    path, step = _current(conversation)
    if step is None or (strict and looks_like_question(text)):
        return None
    slots = conversation.slots or {}
    if step.ward and (ward := typed_ward(path, text)):
        return _choose(ctx, session, conversation, path, step, WARD, {"ward_name": ward})
    option = typed_option(step, text, slots)
    if option is None:
        return None
    return _choose(ctx, session, conversation, path, step, option.value)


def reask(conversation: Conversation) -> Reply | None:
    """The current step again after text the bot could not read (counted as not understood)."""
    path, step = _current(conversation)
    if step is None:
        return None
    reply = _ask(path, step, conversation, prefix=t("path.reask", conversation.user.language))
    reply.understood = False
    return reply


def resume(ctx: BotContext, session: Session, conversation: Conversation) -> Reply | None:
    """Ask the current step again (after a digression)."""
    path, step = _current(conversation)
    if step is None:
        return None
    conversation.state_updated_at = ctx.clock()
    conversation.slots = {k: v for k, v in (conversation.slots or {}).items() if k != AWAY}
    return _ask(path, step, conversation)


def asks_a_step(reply: Reply) -> bool:
    """Whether a reply is a path's question (its chips answer a step)."""
    items = (reply.messages[-1].get("quickReply") or {}).get("items", []) if reply.messages else []
    return any(str(item["action"].get("data", "")).startswith("a=step&") for item in items)


def resume_choice(conversation: Conversation) -> m.Choice | None:
    """The 「続きから」 chip for an unfinished path, if any: one more turn away from the path. After
    MAX_AWAY_TURNS turns away (two unrelated questions) the resident has moved on: the path is left, no chip."""
    path, step = _current(conversation)
    if step is None:
        return None
    slots = dict(conversation.slots or {})
    away = int(slots.get(AWAY, 0)) + 1
    if away > MAX_AWAY_TURNS:
        conversation.flow, conversation.state, conversation.slots = None, None, {}
        return None
    conversation.slots = {**slots, AWAY: away}
    lang = conversation.user.language
    return m.Choice(t("label.resume", lang, title=label(path.title, lang)), data={"a": "resume"})


def finish(ctx: BotContext, session: Session, conversation: Conversation, path: Path_) -> Reply:
    """End the path with the matching outcome: what was understood, the answer card and next steps, where every
    answer collected shapes the result (the outcome it picks, or its own note and entry)."""
    lang = conversation.user.language
    slots = dict(conversation.slots or {})
    conversation.flow, conversation.state, conversation.slots = None, None, {}
    # the last outcome if staff's edit left a combination of answers without one (the data test forbids it)
    outcome = next((o for o in path.outcomes if matches(o.when, slots)), path.outcomes[-1])
    ctx.knowledge.get(session)
    entry = ctx.knowledge.entry(_faq_id(path, outcome, slots))
    shown = entry.id if entry else None
    chosen = _chosen(path, slots)
    extras = _extras(ctx, outcome, chosen, lang, shown)
    if entry is None or not entry.is_valid_on(ctx.today()):  # staff archived or expired it: still a way forward
        chips = [*extras, m.Choice(t("label.human", lang), data={"a": "human", "r": "path"}), back_to_menu(lang)]
        return Reply([m.text(t("path.no_answer", lang), chips)], intent=path.id)
    reply = entry_reply(ctx, entry, lang, intent=path.id, extra=extras)
    reply.messages.insert(0, m.text(_summary(path, outcome, slots, chosen, lang, shown)))
    reply.handoff = False
    return reply


def _faq_id(path: Path_, outcome: Outcome, slots: dict) -> str:
    ward = path.wards.get(slots.get("ward_name", ""))
    return ward["faq"] if outcome.by_ward and ward else outcome.faq


def _chosen(path: Path_, slots: dict) -> list[tuple[Step, Option | None]]:
    """Each answered step with the option chosen (None for a typed ward)."""
    return [(s, s.option(slots[s.id])) for s in path.steps if s.id in slots]


def _summary(
    path: Path_, outcome: Outcome, slots: dict, chosen: list[tuple[Step, Option | None]], lang: str, shown: str | None
) -> str:
    """「自分が参加したい、港北区、子ども・子育てに関心、平日希望 ということで、ご案内します。」, the outcome's
    English or easy summary, then a line for each answer whose own entry is not the card shown."""
    said = []
    for step, option in chosen:
        if option is None and slots.get(step.id) == WARD and slots.get("ward_name"):
            name = slots["ward_name"]
            en = path.wards.get(name, {}).get("en", "")
            said.append(f"{en.capitalize()} ward" if lang == "en" and en else name)
        elif option is not None:
            said.append(step.said(option.value, lang))
    separator = ", " if lang == "en" else "、"
    lines = [t("path.summary", lang, title=label(path.title, lang), choices=separator.join(said))]
    if extra := {"en": outcome.en, "easy": outcome.easy}.get(lang):
        lines.append(extra)
    lines += [label(o.note, lang) for _, o in chosen if o is not None and o.note and o.faq != shown]
    return "\n".join(dict.fromkeys(lines))


def _extras(
    ctx: BotContext, outcome: Outcome, chosen: list[tuple[Step, Option | None]], lang: str, shown: str | None
) -> list[m.Choice]:
    """Next steps: a coordinator, booking, the entries the answers chose, then the outcome's related entries."""
    ids = [o.faq for _, o in chosen if o is not None and o.faq] + list(outcome.related)
    ids = [rid for rid in dict.fromkeys(ids) if rid != shown]
    chips = [m.Choice(rid_label(ctx, rid, lang), data={"a": "faq", "id": rid}) for rid in ids]
    if outcome.booking:
        chips.insert(0, m.Choice(t("label.book_now", lang), data={"a": "book", "t": outcome.booking}))
    if outcome.coordinator:
        chips.insert(0, m.Choice(t("label.coordinator_help", lang), data={"a": "human", "r": "path"}))
    return chips
