"""Residents' own messages, labelled with the entries that answer them: one more way to find an entry.

A labelled message is often nearer to how the next resident writes than any curated paraphrase. Each candidate
entry's `memory` feature (knowledge/fusion.py) is its best embedding similarity to a message labelled with it, and
`memory_vote` its share of the votes of the labelled messages nearest the message (a similarity-weighted k nearest
neighbours); the fusion learns how far to trust them on messages held out of the memory (`madoguchi eval
--calibrate`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

EXAMPLE_CHARS = 500  # as a message is embedded (knowledge/search.py), so a repeated message finds itself
VOTERS = 10  # the labelled messages nearest a message vote for their entries (chosen on held-out dev messages)
VOTE_TEMPERATURE = 0.02  # a voter's weight: exp((its similarity - the nearest one's) / this)


@dataclass(frozen=True)
class Example:
    """One labelled message and the entries that answer it."""

    text: str
    entries: tuple[str, ...]


def from_items(items: Iterable[dict]) -> list[Example]:
    """Examples from labelled dev items: those naming an entry (`faq_id`, plus any `also`)."""
    return [
        Example(item["text"][:EXAMPLE_CHARS], (item["faq_id"], *item.get("also", ())))
        for item in items
        if item.get("faq_id")
    ]


def shipped_examples() -> list[Example]:
    """The dev set's labelled messages (they live with the triage's training data, in intents/data/)."""
    from intents.model import DEV_EXAMPLES  # intents imports knowledge, not the other way round at import time

    if not DEV_EXAMPLES.exists():
        return []
    lines = DEV_EXAMPLES.read_text(encoding="utf-8").splitlines()
    return from_items(json.loads(line) for line in lines if line.strip())


class Memory:
    """Example vectors and, per (example, entry) pair, which entry position the example speaks for."""

    def __init__(self, examples: Sequence[Example], vectors: np.ndarray, position: dict[str, int], size: int):
        pairs = [(n, position[e]) for n, x in enumerate(examples) for e in x.entries if e in position]
        self.size = size
        self.texts = [x.text for x in examples]
        self._vectors = vectors
        self._example = np.array([n for n, _ in pairs], dtype=np.int64)
        self._entry = np.array([p for _, p in pairs], dtype=np.int64)

    def scores(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each entry's best similarity to one of its labelled messages (0 for an entry with none), and its share of
        the similarity-weighted votes of the VOTERS labelled messages nearest the message."""
        best, vote = np.zeros(self.size), np.zeros(self.size)
        if not len(self._example):
            return best, vote
        similarities = (self._vectors @ vector).astype(np.float64)
        np.maximum.at(best, self._entry, similarities[self._example])
        voters = min(VOTERS, len(similarities))
        nearest = np.argpartition(-similarities, voters - 1)[:voters]
        weights = np.zeros(len(similarities))
        weights[nearest] = np.exp((similarities[nearest] - similarities[nearest].max()) / VOTE_TEMPERATURE)
        np.add.at(vote, self._entry, weights[self._example])
        return best, vote / weights[nearest].sum()
