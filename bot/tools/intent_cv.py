"""Held-out intent accuracy: the whole triage (rules, model, knowledge hint) with the model trained without the fold.

The intent model learns from the dev set, so the dev set's own intent accuracy flatters it; five-fold cross-validation
is the honest figure to tune the triage's weights on (it tracks the blind set's), and the blind set stays unread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import KFold

from bot.platform.db import unit_of_work
from bot.tools.ask import Asker
from intents.classifier import classify, lexicon_examples, load_lexicon
from intents.crisis_model import CRISIS_MODEL
from intents.model import INTENT_MODEL, training_examples
from knowledge.examples import from_items

FOLDS = 5


@dataclass(frozen=True)
class HeldOut:
    """Held-out intent accuracy, crisis recall and false crisis alarms over labelled items."""

    items: int
    accuracy: float
    crisis_recall: float
    false_alarms: int


def cross_validate(asker: Asker, items: list[dict]) -> HeldOut:
    """Each fold's items triaged by a model trained on the knowledge base, the lexicon and the other folds."""
    shipped = training_examples(lexicon_examples(load_lexicon()), path=Path("/nonexistent"))  # without the dev set
    right = crisis = crisis_right = false_alarms = 0
    for train, test in KFold(FOLDS, shuffle=True, random_state=0).split(items):
        hints = _hints(asker, items, train, test)
        examples = shipped + [(items[i]["text"], items[i]["intent"]) for i in train]
        with INTENT_MODEL.trained_on(examples), CRISIS_MODEL.trained_on(examples):
            classify.cache_clear()
            for i in test:
                intent = classify(items[i]["text"], *hints[i]).intent
                right += intent == items[i]["intent"]
                if items[i]["intent"] == "crisis":
                    crisis += 1
                    crisis_right += intent == "crisis"
                else:
                    false_alarms += intent == "crisis"
    classify.cache_clear()
    recall = round(crisis_right / crisis, 3) if crisis else 0.0
    return HeldOut(len(items), round(right / len(items), 3), recall, false_alarms)


def _hints(asker: Asker, items: list[dict], train, test) -> dict[int, tuple[str | None, float]]:
    """The knowledge base's best match per test item, searched with the training items' labelled messages only."""
    knowledge, hints = asker.svc.context.knowledge, {}
    with knowledge.using_examples(from_items(items[i] for i in train)), unit_of_work(asker.svc.session_factory) as s:
        index = knowledge.get(s)
        for i in test:
            best = index.search(items[i]["text"], None, k=1)
            hints[i] = (best[0].entry.topic, best[0].score) if best else (None, 0.0)
    return hints
