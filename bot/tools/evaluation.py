"""`madoguchi eval`: intent accuracy, FAQ top-1/top-3 and abstention on a labelled set, beside a naive baseline."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.platform.db import unit_of_work
from bot.tools.ask import Asker
from intents.labels import INTENTS
from knowledge.entries import Entry
from knowledge.store import published_entries

DEV_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "dev_questions.jsonl"
BASELINE_CUTOFF = 60.0


@dataclass
class Scores:
    """Counts for one system over the labelled set."""

    name: str
    n: int = 0
    intent_ok: int = 0
    faq_n: int = 0
    top1: int = 0
    top3: int = 0
    served_ok: int = 0
    abstained: int = 0
    abstained_right: int = 0
    no_answer_n: int = 0
    confusion: Counter = field(default_factory=Counter)

    def add(self, item: dict, intent: str | None, ranked: list[str], served: str | None) -> None:
        """Score one labelled item."""
        expected_faq = item.get("faq_id")
        self.n += 1
        self.intent_ok += intent == item["intent"]
        self.confusion[(item["intent"], intent)] += 1
        if expected_faq:
            self.faq_n += 1
            self.top1 += ranked[:1] == [expected_faq]
            self.top3 += expected_faq in ranked[:3]
            self.served_ok += served == expected_faq
        else:
            self.no_answer_n += 1
        if served is None:
            self.abstained += 1
            self.abstained_right += not expected_faq

    def row(self) -> dict[str, float]:
        """Rates for the report."""
        return {
            "intent_accuracy": _rate(self.intent_ok, self.n),
            "faq_top1": _rate(self.top1, self.faq_n),
            "faq_top3": _rate(self.top3, self.faq_n),
            "served_correct": _rate(self.served_ok, self.faq_n),
            "abstain_precision": _rate(self.abstained_right, self.abstained),
            "abstain_recall": _rate(self.abstained_right, self.no_answer_n),
        }


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def load_items(path: Path = DEV_SET) -> list[dict]:
    """Labelled items: {"text", "intent", "faq_id" or null}."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for item in items:
        if item["intent"] not in INTENTS:
            raise ValueError(f"unknown intent {item['intent']!r} in {item['text']!r}")
    return items


class NaiveBaseline:
    """rapidfuzz WRatio with default_process over all paraphrases: no normalisation, synonyms or rules."""

    def __init__(self, entries: list[Entry]):
        self.choices: list[str] = []
        self.owner: list[Entry] = []
        for entry in entries:
            for text in (entry.question, *entry.paraphrases):
                self.choices.append(text)
                self.owner.append(entry)

    def rank(self, query: str) -> list[tuple[Entry, float]]:
        """Distinct entries by their best paraphrase score."""
        hits = process.extract(query, self.choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=30)
        seen: dict[str, tuple[Entry, float]] = {}
        for _text, score, index in hits:
            entry = self.owner[index]
            seen.setdefault(entry.id, (entry, score))
        return list(seen.values())


def evaluate(items: list[dict]) -> tuple[Scores, Scores]:
    """Score the project's pipeline and the naive baseline on the same items."""
    asker = Asker.create()
    with unit_of_work(asker.svc.session_factory) as session:
        entries = published_entries(session)
        index = asker.svc.context.knowledge.get(session)
    today = asker.svc.context.today()
    baseline = NaiveBaseline([e for e in entries if e.is_valid_on(today)])
    ours, naive = Scores("madoguchi"), Scores("naive baseline")
    for item in items:
        answer = asker.ask(item["text"])
        ranked = [m.entry.id for m in index.search(item["text"], today, k=3)]
        ours.add(item, answer["intent"], ranked, answer["faq_id"])
        hits = baseline.rank(item["text"])
        naive_ranked = [e.id for e, _ in hits[:3]]
        top = hits[0] if hits and hits[0][1] >= BASELINE_CUTOFF else None
        naive_intent = ("out_of_scope" if top[0].topic == "referral" else top[0].topic) if top else "out_of_scope"
        naive.add(item, naive_intent, naive_ranked, top[0].id if top else None)
    return ours, naive


def report(ours: Scores, naive: Scores) -> str:
    """A plain-text table of both systems and our intent confusion."""
    lines = [f"items: {ours.n} ({ours.faq_n} with an expected FAQ, {ours.no_answer_n} without)", ""]
    metrics = list(ours.row())
    lines.append(f"{'metric':<20}{'madoguchi':>12}{'naive':>12}")
    for metric in metrics:
        lines.append(f"{metric:<20}{ours.row()[metric]:>12.3f}{naive.row()[metric]:>12.3f}")
    lines += ["", "intent confusion (expected → got: count), madoguchi:"]
    for (expected, got), count in sorted(ours.confusion.items()):
        if expected != got:
            lines.append(f"  {expected} → {got}: {count}")
    return "\n".join(lines)
