"""The four guided paths (volunteer, founding, dissolution, partnering) as data-driven state machines.

Each path (bot/data/paths.yaml) is a few steps; every step is a state named after its id, plus the implicit
END. A step asks one question with choices; the answers fill slots; the first outcome whose conditions match
the slots ends the path with an answer card and next steps.

    start ──> step 1 ──> step 2 ──> … ──> outcome (END)
      any state: 最初に戻る → menu; 相談員と話したい → person; other text → digression + 「続きから」
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot import messages as m
from bot.cards import entry_reply
from bot.context import BotContext
from bot.menu import back_to_menu
from bot.models import Conversation
from bot.reply import Reply
from bot.texts import t
from intents.slots import extract_slots
from knowledge.text import normalize

PATHS_FILE = Path(__file__).resolve().parents[1] / "data" / "paths.yaml"
GUIDED = ("volunteer", "founding", "dissolution", "partnering")


@dataclass(frozen=True)
class Option:
    """One answer to a step: the slot value and its labels per language."""

    value: str
    labels: dict[str, str]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One question of a path."""

    id: str
    ask: dict[str, str]
    options: tuple[Option, ...]
    only_if: dict[str, list[str]]
    ward: bool


@dataclass(frozen=True)
class Outcome:
    """Where a path ends: an FAQ entry, an English summary, and the next steps it offers."""

    when: dict[str, list[str]]
    faq: str
    en: str
    related: tuple[str, ...]
    booking: str | None
    coordinator: bool


@dataclass(frozen=True)
class Path_:
    """A guided path."""

    id: str
    title: dict[str, str]
    steps: tuple[Step, ...]
    outcomes: tuple[Outcome, ...]

    def step(self, step_id: str) -> Step | None:
        """The step with this id, if any."""
        return next((s for s in self.steps if s.id == step_id), None)


def _cond(raw: dict | None) -> dict[str, list[str]]:
    return {k: (v if isinstance(v, list) else [v]) for k, v in (raw or {}).items()}


@lru_cache(maxsize=2)
def load_paths(path: Path = PATHS_FILE) -> dict[str, Path_]:
    """Read the guided paths from YAML."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for pid, raw in data.items():
        steps = tuple(
            Step(
                s["id"],
                s["ask"],
                tuple(
                    Option(o["value"], o["label"], tuple(normalize(w) for w in o.get("words", [])))
                    for o in s["options"]
                ),
                _cond(s.get("if")),
                bool(s.get("ward")),
            )
            for s in raw["steps"]
        )
        outcomes = tuple(
            Outcome(
                _cond(o.get("when")),
                o["faq"],
                o.get("en", ""),
                tuple(o.get("related", [])),
                o.get("booking"),
                bool(o.get("coordinator")),
            )
            for o in raw["outcomes"]
        )
        out[pid] = Path_(pid, raw["title"], steps, outcomes)
    return out


def _matches(cond: dict[str, list[str]], slots: dict) -> bool:
    return all(slots.get(key) in values for key, values in cond.items())


def _next_step(path: Path_, slots: dict, after: str | None) -> Step | None:
    ids = [s.id for s in path.steps]
    start = ids.index(after) + 1 if after in ids else 0
    for step in path.steps[start:]:
        if step.id not in slots and _matches(step.only_if, slots):
            return step
    return None


def _label(labels: dict[str, str], lang: str) -> str:
    return labels.get(lang) or labels["ja"]


def _ask(path: Path_, step: Step, lang: str, prefix: str | None = None) -> Reply:
    chips = [
        m.Choice(_label(o.labels, lang), data={"a": "step", "f": path.id, "s": step.id, "v": o.value})
        for o in step.options
    ]
    chips += [m.Choice(t("label.human", lang), data={"a": "human"}), back_to_menu(lang)]
    body = _label(step.ask, lang) if prefix is None else f"{prefix}\n{_label(step.ask, lang)}"
    return Reply([m.text(body, chips)], intent=path.id)


def start(ctx: BotContext, session: Session, conversation: Conversation, path_id: str) -> Reply:
    """Begin a path at its first step (slots already known from the message are kept)."""
    path = load_paths()[path_id]
    lang = conversation.user.language
    conversation.flow, conversation.slots = path.id, {}
    conversation.state_updated_at = ctx.clock()
    return _advance(ctx, session, conversation, path, None, lang)


def _advance(
    ctx: BotContext, session: Session, conversation: Conversation, path: Path_, after: str | None, lang: str
) -> Reply:
    step = _next_step(path, conversation.slots, after)
    if step is None:
        return finish(ctx, session, conversation, path, lang)
    conversation.state = step.id
    return _ask(path, step, lang)


def on_step(ctx: BotContext, session: Session, conversation: Conversation, data: dict) -> Reply:
    """A tapped answer (also stale ones from earlier messages: they continue that path from that step)."""
    paths = load_paths()
    path = paths.get(data.get("f", ""))
    step = path.step(data.get("s", "")) if path else None
    option = next((o for o in step.options if o.value == data.get("v")), None) if step else None
    lang = conversation.user.language
    if option is None:
        return Reply([m.text(t("menu.prompt", lang), [back_to_menu(lang)])], understood=False)
    if conversation.flow != path.id:
        conversation.flow, conversation.slots = path.id, {}
    return _choose(ctx, session, conversation, path, step, option.value, lang)


def _choose(ctx, session, conversation, path: Path_, step: Step, value: str, lang: str) -> Reply:
    slots = {k: v for k, v in conversation.slots.items() if not _is_later(path, k, step.id)}
    slots[step.id] = value
    conversation.slots = slots
    conversation.state_updated_at = ctx.clock()
    return _advance(ctx, session, conversation, path, step.id, lang)


def _is_later(path: Path_, slot: str, step_id: str) -> bool:
    ids = [s.id for s in path.steps]
    return slot in ids and ids.index(slot) >= ids.index(step_id)


def on_text(ctx: BotContext, session: Session, conversation: Conversation, text: str) -> Reply | None:
    """Typed text in place of a button; None when it is not an answer to the current step (a digression)."""
    path = load_paths().get(conversation.flow or "")
    step = path.step(conversation.state or "") if path else None
    if step is None:
        return None
    norm = normalize(text)
    lang = conversation.user.language
    for option in step.options:
        words = (normalize(_label(option.labels, "ja")), normalize(_label(option.labels, "en")), *option.words)
        if norm and any(w and (w == norm or (len(w) >= 2 and w in norm)) for w in words):
            return _choose(ctx, session, conversation, path, step, option.value, lang)
    if step.ward and (ward := extract_slots(text, norm).get("ward")):
        conversation.slots = {**conversation.slots, "ward_name": ward}
        return _choose(ctx, session, conversation, path, step, "ward", lang)
    return None


def resume(ctx: BotContext, session: Session, conversation: Conversation) -> Reply | None:
    """Ask the current step again (after a digression)."""
    path = load_paths().get(conversation.flow or "")
    step = path.step(conversation.state or "") if path else None
    if step is None:
        return None
    return _ask(path, step, conversation.user.language)


def resume_choice(conversation: Conversation) -> m.Choice | None:
    """The 「続きから」 chip for an unfinished path, if any."""
    path = load_paths().get(conversation.flow or "")
    if path is None or not conversation.state:
        return None
    lang = conversation.user.language
    return m.Choice(t("label.resume", lang, title=_label(path.title, lang)), data={"a": "resume"})


def finish(ctx: BotContext, session: Session, conversation: Conversation, path: Path_, lang: str) -> Reply:
    """End the path with the matching outcome: answer card, next steps, and an English summary if needed."""
    slots = dict(conversation.slots)
    conversation.flow, conversation.state, conversation.slots = None, None, {}
    outcome = next(o for o in path.outcomes if _matches(o.when, slots))
    ctx.knowledge.get(session)
    entry = ctx.knowledge.entry(outcome.faq)
    extras = _extras(ctx, outcome, slots, lang)
    if entry is None or not entry.is_valid_on(ctx.today()):  # staff archived or expired it: still a way forward
        chips = [*extras, m.Choice(t("label.human", lang), data={"a": "human"}), back_to_menu(lang)]
        return Reply([m.text(t("path.no_answer", lang), chips)], intent=path.id)
    reply = entry_reply(ctx, entry, lang, intent=path.id, extra=extras)
    if lang == "en" and outcome.en:
        reply.messages.insert(0, m.text(outcome.en))
    reply.handoff = False
    return reply


def _extras(ctx: BotContext, outcome: Outcome, slots: dict, lang: str) -> list[m.Choice]:
    chips = [m.Choice(_related_label(ctx, rid), data={"a": "faq", "id": rid}) for rid in outcome.related]
    if outcome.booking:
        chips.insert(0, m.Choice(t("label.book_now", lang), data={"a": "book", "t": outcome.booking}))
    if outcome.coordinator:
        chips.insert(0, m.Choice(t("label.coordinator_help", lang), data={"a": "human"}))
    return chips


def _related_label(ctx: BotContext, entry_id: str) -> str:
    entry = ctx.knowledge.entry(entry_id)
    return entry.question if entry else entry_id
