"""Fusing the retrievers into one calibrated probability that an entry answers the message.

Each candidate entry gets a few features from the character n-gram index, BM25 and the embeddings; a logistic
model learned on held-out labelled messages (`madoguchi eval --calibrate`, stored in calibration.json beside the
evaluation that chose it) turns them into P(right). The cut-offs for answering and suggesting live in the same file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CALIBRATION = Path(__file__).parent / "calibration.json"
FEATURES = (
    "ngram",  # the n-gram index's fused score (0..1)
    "ngram_gap",  # its distance to the best candidate's
    "fuzzy",  # rapidfuzz ratio to the closest paraphrase
    "bm25_q",  # BM25 over questions and paraphrases
    "bm25_q_gap",
    "bm25_a",  # BM25 over the answer
    "bm25_en",  # BM25 over the English question and answer
    "cosine",  # best embedding similarity to the entry's question or a paraphrase
    "cosine_gap",
    "cosine_top",  # 1 for the embeddings' first choice
    "words",  # how much the message says (content words, capped at 10, / 10)
    "rank_ngram",  # 1 / (1 + rank) among all entries by the n-gram score
    "rank_bm25",  # … by BM25 over questions
    "rank_cosine",  # … by embedding similarity
    "cosine_answer",  # embedding similarity of the message to the entry's answer (as a passage)
    "coverage",  # idf-weighted share of the message's words found in the entry's questions and paraphrases
    "memory",  # best embedding similarity to a resident's message labelled with the entry (knowledge/examples.py)
    "memory_gap",
    "memory_top",  # 1 for the labelled messages' first choice
    "memory_vote",  # its share of the votes of the labelled messages nearest the message
)


@dataclass(frozen=True)
class Calibration:
    """The learned fusion weights and the cut-offs chosen with them."""

    weights: tuple[float, ...]
    bias: float
    answer: float = 0.6  # answer at or above this probability
    suggest: float = 0.3  # offer もしかして candidates at or above this
    # An entry of another topic than the message's intent (a founding card for a wish to volunteer) is answered only
    # at or above this; below it, the intent's own best entry answers, or もしかして lists both.
    disagree: float = 0.6
    report: dict = field(default_factory=dict)

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(right) per candidate row."""
        return 1.0 / (1.0 + np.exp(-(features @ np.asarray(self.weights) + self.bias)))

    def to_json(self) -> str:
        """The file's text."""
        data = {
            "features": list(FEATURES),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "answer": self.answer,
            "suggest": self.suggest,
            "disagree": self.disagree,
            "report": self.report,
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# Used only until `madoguchi eval --calibrate` has written calibration.json: n-gram and embeddings, roughly equal.
UNCALIBRATED = Calibration(weights=(4, 2, 1, 2, 1, 1, 1, 6, 6, 1, 0, 1, 1, 1, 1, 1, 2, 2, 0, 1), bias=-9.0)


def load_calibration(path: Path = CALIBRATION) -> Calibration:
    """The shipped calibration (or the uncalibrated default when the file is missing or for other features)."""
    if not path.exists():
        return UNCALIBRATED
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data.get("features") or ()) != FEATURES:
        return UNCALIBRATED
    return Calibration(
        weights=tuple(float(w) for w in data["weights"]),
        bias=float(data["bias"]),
        answer=float(data["answer"]),
        suggest=float(data["suggest"]),
        disagree=float(data["disagree"]),
        report=data.get("report") or {},
    )


def feature_rows(
    ngram, fuzzy, bm25_q, bm25_a, bm25_en, cosine, words: int, ranks, cosine_answer, coverage, memory, vote
) -> np.ndarray:
    """Candidate rows in FEATURES order, from per-candidate arrays (gaps are to the best candidate; `ranks` holds
    each candidate's 0-based rank by n-gram, BM25 and embeddings among all entries)."""
    cosine_top = (cosine >= cosine.max()).astype(float) if len(cosine) else cosine
    memory_top = ((memory >= memory.max()) & (memory > 0)).astype(float) if len(memory) else memory
    columns = [
        ngram,
        ngram - ngram.max(initial=0.0),
        fuzzy,
        bm25_q,
        bm25_q - bm25_q.max(initial=0.0),
        bm25_a,
        bm25_en,
        cosine,
        cosine - cosine.max(initial=0.0),
        cosine_top,
        np.full(len(ngram), min(words, 10) / 10),
        *(1.0 / (1.0 + np.asarray(r, dtype=float)) for r in ranks),
        cosine_answer,
        coverage,
        memory,
        memory - memory.max(initial=0.0),
        memory_top,
        vote,
    ]
    return np.column_stack(columns) if len(ngram) else np.zeros((0, len(FEATURES)))
