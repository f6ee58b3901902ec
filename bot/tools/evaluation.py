"""`madoguchi eval`: the first reply to each labelled message, scored end to end beside a naive baseline.

Per set (the dev set we tune on, the blind set we never read): intent accuracy, fact present (the reply carries one
of the item's required strings), precision when answering with a card, menu-instead-of-answer on specific
questions, abstention, crisis recall. The naive baseline always answers with rapidfuzz's best match over the
knowledge base's question texts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.dialogue.cards import render_answer
from bot.platform.db import unit_of_work
from bot.tools.ask import Asker
from intents.classifier import classify, model_examples
from intents.crisis_model import save_training_vectors
from intents.labels import INTENTS, topic_fits
from intents.model import DEV_EXAMPLES
from knowledge.calibrate import calibrate, collect, fold_models, folds
from knowledge.entries import Entry
from knowledge.examples import from_items
from knowledge.fusion import CALIBRATION, Calibration
from knowledge.store import published_entries

DEV_SET = DEV_EXAMPLES  # learned from (intent model) and tuned on (fusion, cut-offs)
BLIND_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "blind"  # never read item by item
BLIND_SET = BLIND_DIR / "blind_questions.jsonl"
BLIND_CRISIS = BLIND_DIR / "blind_crisis.jsonl"  # crisis messages and look-alikes (figurative, topic words, traps)
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """What fact strings are compared in: NFKC, lower case, no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def has_fact(reply_text: str, facts: list[str]) -> bool:
    """Whether the reply contains any one of the required strings."""
    folded = fold(reply_text)
    return any(fold(f) in folded for f in facts if fold(f))


@dataclass
class Scores:
    """Counts for one system over one labelled set."""

    name: str
    n: int = 0
    intent_ok: int = 0
    fact_n: int = 0
    fact_ok: int = 0
    cards: int = 0
    cards_ok: int = 0
    specific_n: int = 0
    menus: int = 0
    abstained: int = 0
    crisis_n: int = 0
    crisis_ok: int = 0
    calm_n: int = 0
    false_alarms: int = 0
    kinds: Counter = field(default_factory=Counter)
    confusion: Counter = field(default_factory=Counter)
    misses: list[dict] = field(default_factory=list)

    def add(self, item: dict, intent: str | None, kind: str, text: str, faq_id: str | None, topic: str | None) -> None:
        """Score one first reply."""
        facts = item.get("facts") or []
        self.n += 1
        self.kinds[kind] += 1
        self.intent_ok += intent == item["intent"]
        self.confusion[(item["intent"], intent)] += 1
        carried = has_fact(text, facts)
        if facts:
            self.fact_n += 1
            self.fact_ok += carried
            if not carried:
                self.misses.append({"text": item["text"], "kind": kind, "faq_id": faq_id, "facts": facts})
        if kind == "answer":
            self.cards += 1
            self.cards_ok += card_right(item, carried, faq_id, topic)
        if item.get("specific"):
            self.specific_n += 1
            self.menus += kind == "menu"
        self.abstained += kind in ("abstain", "suggest")
        if item["intent"] == "crisis":
            self.crisis_n += 1
            self.crisis_ok += kind == "crisis"
        else:
            self.calm_n += 1
            self.false_alarms += kind == "crisis"

    def row(self) -> dict[str, float]:
        """Rates for the report."""
        return {
            "intent_accuracy": _rate(self.intent_ok, self.n),
            "fact_present": _rate(self.fact_ok, self.fact_n),
            "card_precision": _rate(self.cards_ok, self.cards),
            "menu_instead_of_answer": _rate(self.menus, self.specific_n),
            "abstention": _rate(self.abstained, self.n),
            "crisis_recall": _rate(self.crisis_ok, self.crisis_n),
            "false_crisis_alarm": _rate(self.false_alarms, self.calm_n),
        }


def card_right(item: dict, carried: bool, faq_id: str | None, topic: str | None) -> bool:
    """A card is right when it carries the fact (or is a labelled entry); without facts, when its topic fits."""
    if item.get("facts"):
        return carried or faq_id in labelled_entries(item)
    if item.get("faq_id"):
        return faq_id in labelled_entries(item)
    return topic_fits(item["intent"], topic)


def labelled_entries(item: dict) -> set[str]:
    """The entries that answer an item: its labelled one and those a label audit found answer it as well."""
    return {item["faq_id"], *item.get("also", ())} if item.get("faq_id") else set()


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def load_items(path: Path = DEV_SET) -> list[dict]:
    """Labelled items: {"text", "intent", "facts", "specific", "faq_id"?, "also"?} ("also": other entries that answer
    the message as well as "faq_id" does)."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for item in items:
        if item["intent"] not in INTENTS:
            raise ValueError(f"unknown intent {item['intent']!r} in {item['text']!r}")
    return items


class NaiveBaseline:
    """Always answer with rapidfuzz WRatio's best match over the entries' question texts."""

    def __init__(self, entries: list[Entry]):
        self.entries = entries
        self.questions = [e.question for e in entries]

    def best(self, query: str) -> Entry | None:
        """The entry whose question is most like the query."""
        hit = process.extractOne(query, self.questions, scorer=fuzz.WRatio, processor=utils.default_process)
        return self.entries[hit[2]] if hit else None


def evaluate(items: list[dict], asker: Asker | None = None, held_out: bool = False) -> tuple[Scores, Scores]:
    """Score the whole pipeline's first reply and the naive baseline on the same items.

    `held_out` (the dev set, which the fusion model learned from and whose labelled messages the knowledge base
    searches as examples): each fold's items are asked while the examples are the other folds' only, and scored by a
    fusion model fitted on the other folds only, as for messages the bot has never seen."""
    asker = asker or Asker.create()
    ctx = asker.svc.context
    with unit_of_work(asker.svc.session_factory) as session:
        entries = [e for e in published_entries(session) if e.is_valid_on(ctx.today())]
        index = ctx.knowledge.get(session)
    baseline = NaiveBaseline(entries)
    topics = {e.id: e.topic for e in entries}
    ours, naive = Scores("madoguchi"), Scores("naive baseline")
    if held_out:
        shipped = index.calibration
        models = fold_models(collect(index, items, is_right(ctx)))
        for fold, (others, own) in enumerate(folds(items)):
            model = (
                replace(models[fold], answer=shipped.answer, suggest=shipped.suggest, disagree=shipped.disagree)
                if fold in models
                else None
            )
            with ctx.knowledge.using_examples(from_items(items[i] for i in others), model):
                _score(asker, [items[i] for i in own], baseline, topics, ours, naive)
    else:
        _score(asker, items, baseline, topics, ours, naive)
    return ours, naive


def _score(asker: Asker, items: list[dict], baseline: NaiveBaseline, topics: dict, ours: Scores, naive: Scores) -> None:
    ctx = asker.svc.context
    for item in items:
        answer = asker.ask(item["text"])
        faq_id = answer["faq_id"]
        ours.add(item, answer["intent"], answer["kind"], answer["reply_text"], faq_id, topics.get(faq_id))
        entry = baseline.best(item["text"])
        if entry is None:
            naive.add(item, "out_of_scope", "abstain", "", None, None)
            continue
        intent = "out_of_scope" if entry.topic == "referral" else entry.topic
        naive.add(item, intent, "answer", render_answer(ctx, entry), entry.id, entry.topic)


def is_right(ctx) -> Callable[[dict, Entry], bool]:
    """Whether an entry answers a labelled item: its answer carries a required fact, or it is the labelled entry."""

    def right(item: dict, entry: Entry) -> bool:
        return entry.id in labelled_entries(item) or has_fact(render_answer(ctx, entry), item.get("facts") or [])

    return right


def agrees(text: str, topic: str, probability: float) -> bool:
    """Whether the best entry's topic fits the intent the triage gives the message, told that entry (as the dialogue
    tells it)."""
    return topic_fits(classify(text, topic, probability).intent, topic)


def recalibrate(asker: Asker, items: list[dict]) -> Calibration:
    """Learn fusion weights and cut-offs on the items; write calibration.json and the shipped vector caches (the
    knowledge base's texts, and the intent examples the crisis model learns from)."""
    with unit_of_work(asker.svc.session_factory) as session:
        index = asker.svc.context.knowledge.get(session)
    if index.embedder is not None:
        index.embedder.save(index.embedded_texts)
        save_training_vectors([t for t, _ in model_examples()])
    calibration = calibrate(index, items, is_right(asker.svc.context), agrees)
    CALIBRATION.write_text(calibration.to_json(), encoding="utf-8")
    return calibration


def report(results: dict[str, tuple[Scores, Scores]]) -> str:
    """A plain-text table: each set's figures for the bot and the baseline side by side."""
    names = list(results)
    header = f"{'metric':<24}" + "".join(f"{n + ' bot':>16}{n + ' naive':>16}" for n in names)
    lines = [", ".join(f"{n}: {results[n][0].n} items ({results[n][0].fact_n} with facts)" for n in names), header]
    for metric in Scores("x").row():
        cells = "".join(f"{results[n][0].row()[metric]:>16.3f}{results[n][1].row()[metric]:>16.3f}" for n in names)
        lines.append(f"{metric:<24}{cells}")
    for n in names:
        kinds = ", ".join(f"{k} {v}" for k, v in results[n][0].kinds.most_common())
        lines.append(f"{n} first-reply kinds: {kinds}")
    return "\n".join(lines)


def confusion(scores: Scores) -> str:
    """Intent confusion (expected → got: count), for the dev set only."""
    rows = [f"  {e} → {g}: {c}" for (e, g), c in sorted(scores.confusion.items()) if e != g]
    return "intent confusion (dev):\n" + "\n".join(rows)
