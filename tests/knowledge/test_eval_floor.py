"""The labelled dev set: well-formed, written fresh (not copied from paraphrases), and the floors the bot must keep."""

from __future__ import annotations

from collections import Counter

import pytest
from rapidfuzz import fuzz

from bot.tools.evaluation import DEV_SET, evaluate, load_items
from intents.labels import INTENTS
from knowledge.entries import TOPICS, load_content
from knowledge.text import normalize

# Normalised similarity (rapidfuzz ratio, 0..100) at or above which a dev message counts as a copy of a paraphrase.
NEAR_COPY = 85
FAQ_TOP1_FLOOR = 0.85
INTENT_FLOOR = 0.95
ABOVE_NAIVE = 0.25


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return load_items(DEV_SET)


@pytest.fixture(scope="module")
def scores(items):
    return evaluate(items)


def test_the_dev_set_is_large_and_covers_every_intent_and_topic(items):
    assert len(items) >= 220
    assert set(Counter(i["intent"] for i in items)) == set(INTENTS)
    entries = {e.id: e for e in load_content()}
    assert {i["faq_id"] for i in items if i["faq_id"]} <= set(entries)
    assert {entries[i["faq_id"]].topic for i in items if i["faq_id"]} == set(TOPICS)
    assert sum(1 for i in items if not i["faq_id"]) >= 40, "near misses and hand-offs the bot must not answer"
    texts = [normalize(i["text"]) for i in items]
    assert len(texts) == len(set(texts)), "duplicate messages"


def test_the_dev_set_is_not_copied_from_the_paraphrases(items):
    known = {normalize(text) for e in load_content() for text in (e.question, *e.paraphrases)}
    copies = []
    for item in items:
        text = normalize(item["text"])
        closest = max(known, key=lambda k: fuzz.ratio(text, k))
        if fuzz.ratio(text, closest) >= NEAR_COPY:
            copies.append((item["text"], closest))
    assert not copies, f"dev messages too close to shipped paraphrases: {copies}"


def test_the_bot_keeps_its_floors_on_the_dev_set(scores):
    ours, naive = scores
    row, baseline = ours.row(), naive.row()
    assert row["faq_top1"] >= FAQ_TOP1_FLOOR
    assert row["intent_accuracy"] >= INTENT_FLOOR
    assert row["faq_top1"] >= baseline["faq_top1"] + ABOVE_NAIVE


def test_crisis_messages_are_never_missed(scores):
    ours, _ = scores
    missed = {got: n for (expected, got), n in ours.confusion.items() if expected == "crisis" and got != "crisis"}
    assert not missed
