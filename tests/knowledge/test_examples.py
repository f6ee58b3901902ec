"""Residents' labelled messages as a retriever: an entry is found through a message labelled with it, and the
calibration searches each dev message as one the bot has never seen (never with itself among the examples)."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.calibrate import collect
from knowledge.entries import Entry
from knowledge.examples import Example, from_items
from knowledge.fusion import FEATURES, Calibration
from knowledge.search import KnowledgeIndex
from knowledge.semantic import CachedEmbedder
from tests.knowledge.test_semantic import CountingEmbedder

MEMORY = FEATURES.index("memory")
WORDINGS = {
    "volunteer.start": ("ボランティアを始めたい", "何か手伝いたい"),
    "founding.members": ("NPO法人を作るには何人必要", "設立 人数"),
    "dissolution.npo": ("NPO法人を解散したい", "解散 手続き"),
}


def index(examples=(), calibration=None) -> KnowledgeIndex:
    entries = [
        Entry(id=k, topic=k.split(".")[0], question=q, answer="…", paraphrases=p) for k, (q, *p) in WORDINGS.items()
    ]
    embedder = CachedEmbedder(CountingEmbedder(), cache_file=None)
    return KnowledgeIndex(entries, embedder=embedder, calibration=calibration, examples=examples)


def test_labelled_items_become_examples_of_their_entries_and_the_others_are_left_out():
    items = [
        {"text": "うちの会、もう続けられないかも", "intent": "dissolution", "faq_id": "dissolution.npo", "also": ["x"]},
        {"text": "こんにちは", "intent": "greeting"},
        {"text": "ボラやりたい", "intent": "volunteer", "facts": ["窓口"]},
    ]
    assert from_items(items) == [Example("うちの会、もう続けられないかも", ("dissolution.npo", "x"))]


def test_an_entry_is_found_through_a_message_labelled_with_it():
    said = "うちの会、もう続けられないかも"  # shares no word with the entry's own wordings
    labelled = index([Example(said, ("dissolution.npo", "gone.entry"))])  # an id no longer published is ignored
    _best, _answer, memory, vote = labelled.cosines(said)
    assert memory.tolist() == pytest.approx([0.0, 0.0, 1.0]) and vote.tolist() == pytest.approx([0.0, 0.0, 1.0])
    found = {m.entry.id: m.features["row"][MEMORY] for m in labelled.search(said, None, k=10)}
    assert found["dissolution.npo"] == pytest.approx(1.0)
    assert all(v == 0.0 for k, v in found.items() if k != "dissolution.npo")
    assert index().cosines(said)[2].tolist() == [0.0, 0.0, 0.0] == index().cosines(said)[3].tolist()


def test_the_calibration_never_searches_a_dev_message_with_itself_as_an_example():
    topics = {"volunteer.start": "volunteer", "founding.members": "founding", "dissolution.npo": "dissolution"}
    texts = [f"相談その{n}: {k}のこと" for n in range(10) for k in topics]  # ten writers
    items = [{"text": t, "intent": topics[t[7:-3]], "faq_id": t[7:-3], "kind": f"writer{t[4]}"} for t in texts]
    full = index(from_items(items))
    seen = [max(m.features["row"][MEMORY] for m in full.search(i["text"], None, k=10)) for i in items]
    assert seen == pytest.approx([1.0] * len(items))  # searched as the bot does: each finds itself
    data = collect(full, items, lambda item, entry: entry.id == item["faq_id"])
    assert len(data) == len(items) and {d.fold for d in data} == set(range(5))
    kinds = {i["text"]: i["kind"] for i in items}
    for fold in range(5):  # a writer's messages are held out together
        assert len({kinds[d.text] for d in data if d.fold == fold}) == 2
    assert max(float(np.max(d.rows[:, MEMORY])) for d in data) < 0.99  # its own text would give 1.0


def test_an_entry_s_own_wording_still_comes_first_when_a_message_labelled_otherwise_matches_it():
    """Staff who add a resident's words as a paraphrase make the bot answer them (the labels may be older)."""
    weights = [0.0] * len(FEATURES)
    weights[MEMORY] = 10.0
    trusting_labels = Calibration(weights=tuple(weights), bias=-2.0)
    labelled = index([Example("設立 人数", ("dissolution.npo",))], trusting_labels)
    found = labelled.search("設立 人数", None, k=3)
    assert found[1].entry.id == "dissolution.npo" and found[1].score > found[0].score  # the labels' P is higher
    assert found[0].entry.id == "founding.members" and found[0].fuzzy >= 0.95


def test_the_labelled_messages_nearest_a_message_vote_for_their_entries():
    said = "うちの会、もう続けられないかも"
    examples = [  # the stand-in model's texts are far from each other: only the two copies of `said` are near it
        Example(said, ("dissolution.npo",)),
        Example(said, ("founding.members",)),
        Example("ボランティアやりたい", ("volunteer.start",)),
    ]
    _best, _answer, _memory, vote = index(examples).cosines(said)
    assert vote.tolist() == pytest.approx([0.0, 0.5, 0.5], abs=1e-6)
    _best, _answer, _memory, vote = index(examples[:1] + examples[2:]).cosines(said)
    assert vote.tolist() == pytest.approx([0.0, 0.0, 1.0], abs=1e-6)
