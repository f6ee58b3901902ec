"""Pure retrieval: character n-grams, BM25 over normalised words and sentence embeddings, fused and calibrated.

Each retriever proposes its best entries (and so do residents' labelled messages, knowledge/examples.py); every
candidate then gets the features of all of them, and the learned fusion (knowledge/fusion.py) gives it P(right).
Matches come back best first with that probability as `score`, so the caller's answer / もしかして / わかりません
cut-offs mean the same whatever the content.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import numpy as np

from knowledge.entries import Entry
from knowledge.examples import EXAMPLE_CHARS, Example, Memory
from knowledge.fusion import Calibration, feature_rows, load_calibration
from knowledge.kana import KanaRestorer
from knowledge.lexical import LexicalIndex
from knowledge.morph import content_words
from knowledge.ngram import Glossary, NgramIndex, is_latin_script, prepare
from knowledge.semantic import CachedEmbedder, Embedder, shared_embedder

__all__ = ["Glossary", "KnowledgeIndex", "Match"]
PER_RETRIEVER = 8
NGRAM_FUZZY_WEIGHT = 0.25
OWN_WORDING = 0.95  # rapidfuzz ratio to a question or paraphrase from which a message is that wording
KEPT_SEARCHES = 1024  # rankings an index keeps, by (query, day): repeated texts (rich-menu taps) are not ranked again


@dataclass(frozen=True)
class Match:
    """One ranked entry: P(it answers the message), the n-gram score and fuzzy ratio, and every feature."""

    entry: Entry
    score: float
    lexical: float
    fuzzy: float
    matched: str
    features: dict = field(default_factory=dict, compare=False)


class KnowledgeIndex:
    """An immutable search index over FAQ entries (rebuild it when the content changes)."""

    def __init__(
        self,
        entries: Iterable[Entry],
        glossary: Glossary | None = None,
        embedder: Embedder | None | bool = True,
        calibration: Calibration | None = None,
        examples: Sequence[Example] = (),
    ):
        self.entries: list[Entry] = list(entries)
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        self.glossary = glossary or Glossary([])
        self.kana = KanaRestorer(t for e in self.entries for t in (e.question, *e.paraphrases, e.answer))
        # The retrievers read the entries' own hiragana wordings (「かいさん てつづき」) as they read messages'.
        searched = [self._restored(e) for e in self.entries]
        self.ngram = NgramIndex(searched, self.glossary)
        self.lexical = LexicalIndex(searched)
        self.calibration = calibration or load_calibration()
        chosen = shared_embedder() if embedder is True else (embedder or None)
        wrapped = chosen is None or isinstance(chosen, CachedEmbedder)
        self.embedder = chosen if wrapped else CachedEmbedder(chosen, cache_file=None)
        self.examples = tuple(examples)
        self._vectors, self._owner, self._answers = self._embed_entries(searched)
        self.memory = self._memory() if self._vectors is not None else None
        # The index is immutable and a ranking depends on the query and the day alone, so it may be kept: an edit
        # builds a new index (and so starts with none kept).
        self._kept_rankings = lru_cache(maxsize=KEPT_SEARCHES)(self._ranked)
        self._valid = lru_cache(maxsize=4)(self._valid_on)

    def _restored(self, entry: Entry) -> Entry:
        """The entry with its hiragana question and paraphrases read back into kanji, as a message would be."""
        restore = self.kana.restore
        return replace(entry, question=restore(entry.question), paraphrases=tuple(map(restore, entry.paraphrases)))

    def _embed_entries(self, entries: list[Entry]) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        if self.embedder is None or not entries:
            return None, None, None
        texts, owner = [], []
        for position, entry in enumerate(entries):
            for text in dict.fromkeys((entry.question, *entry.paraphrases)):
                texts.append(text)
                owner.append(position)
        passages = [passage(e) for e in self.entries]
        self.embedded_texts = texts + passages  # what `madoguchi eval --calibrate` ships vectors for
        answers = self.embedder.embed(passages)
        owner = np.asarray(owner)
        self._starts = np.flatnonzero(np.r_[True, np.diff(owner) != 0])  # each entry's first text (grouped in order)
        return self.embedder.embed(texts), owner, answers

    def _memory(self) -> Memory:
        texts = [x.text for x in self.examples]
        self.embedded_texts += texts
        vectors = self.embedder.embed(texts) if texts else np.zeros((0, self._vectors.shape[1]), dtype=np.float32)
        return Memory(self.examples, vectors, {e.id: n for n, e in enumerate(self.entries)}, len(self.entries))

    def with_examples(self, examples: Sequence[Example]) -> KnowledgeIndex:
        """The same entries searched with other labelled messages (cross-validation holds some out)."""
        return KnowledgeIndex(self.entries, self.glossary, self.embedder or False, self.calibration, examples)

    def cosines(self, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each entry's best embedding similarity to the message, its answer's, its labelled messages', and its share
        of the nearest labelled messages' votes (zeros without an embedder)."""
        best, answer, memory, vote = (np.zeros(len(self.entries)) for _ in range(4))
        if self._vectors is None or not query.strip():
            return best, answer, memory, vote
        vector = self.embedder.query(query[:EXAMPLE_CHARS])
        best = np.maximum.reduceat(self._vectors @ vector, self._starts).astype(np.float64)  # a group per entry
        memory, vote = self.memory.scores(vector)
        return np.maximum(best, 0.0), np.maximum(self._answers @ vector, 0.0), np.maximum(memory, 0.0), vote

    def search(self, query: str, today: date | None = None, k: int = 3) -> list[Match]:
        """Top-k entries for a query, best first; entries not valid on `today` are never returned."""
        return self._kept_rankings(query, today)[:k]

    def _valid_on(self, today: date | None) -> np.ndarray:
        """Which entries may be answered on `today` (kept per day: the index is immutable)."""
        return np.array([today is None or e.is_valid_on(today) for e in self.entries], dtype=bool)

    def _ranked(self, query: str, today: date | None) -> list[Match]:
        """Every candidate any retriever proposes, best first by calibrated probability."""
        if not self.entries or not query.strip():
            return []
        query = self.kana.restore(query)  # 「じちかい の やくいん」 → 「自治会 の 役員」
        norm, lexical = self.ngram.scores(query)
        bm25_q, bm25_a, bm25_en, coverage = self.lexical.scores(query)
        cosine, cosine_answer, memory, vote = self.cosines(query)
        valid = self._valid(today)
        retrievers = (lexical, bm25_q, cosine, memory, *((bm25_en,) if is_latin_script(query) else ()))
        masked = [np.where(valid, scores, -1.0) for scores in retrievers]  # entries not valid today: never proposed
        candidates = {int(i) for scores in masked for i in _best(scores) if scores[i] > 0}
        if not candidates:
            return []
        order = sorted(candidates)
        ranks = [_ranks_of(scores, order) for scores in masked[:3]]  # n-grams, BM25, cosine
        # An English message is compared with the wordings as written, not as the glossary terms it was searched by
        # (「volunteer insurance price」 is not the paraphrase 「ボランティア」).
        wording = prepare(query) if is_latin_script(query) else norm
        closest = [self.ngram.closest(wording, i) for i in order]
        fuzzy = np.array([c[0] for c in closest])
        ngram = np.minimum(1.0, (1 - NGRAM_FUZZY_WEIGHT) * lexical[order] + NGRAM_FUZZY_WEIGHT * fuzzy)
        rows = feature_rows(
            ngram,
            fuzzy,
            bm25_q[order],
            bm25_a[order],
            bm25_en[order],
            cosine[order],
            len(content_words(query)),
            ranks,
            cosine_answer[order],
            coverage[order],
            memory[order],
            vote[order],
        )
        probability = self.calibration.probability(rows)
        # A message that is (nearly) one of an entry's own wordings is that entry: staff adding a resident's words as
        # a paraphrase must make the bot answer them, which dev messages (never copies) cannot teach the fusion.
        probability = np.where(fuzzy >= OWN_WORDING, np.maximum(probability, OWN_WORDING), probability)
        matches = [
            Match(
                self.entries[i],
                round(float(p), 4),
                round(float(lexical[i]), 4),
                round(float(fuzzy[j]), 4),
                closest[j][1],
                features=dict(zip(("row",), (rows[j],), strict=True)),
            )
            for j, (i, p) in enumerate(zip(order, probability, strict=True))
        ]
        # An own wording comes first even when another entry's labelled messages are as close: staff's words win.
        matches.sort(key=lambda m: (m.fuzzy < OWN_WORDING, -m.score, -m.fuzzy))
        return matches


def passage(entry: Entry) -> str:
    """What an entry's answer is embedded as: its question and the start of its answer."""
    return f"{entry.question}\n{entry.answer[:300]}"


def _best(scores: np.ndarray) -> np.ndarray:
    """The positions of the PER_RETRIEVER highest scores (in no particular order)."""
    if len(scores) <= PER_RETRIEVER:
        return np.arange(len(scores))
    return np.argpartition(-scores, PER_RETRIEVER - 1)[:PER_RETRIEVER]


def _ranks_of(scores: np.ndarray, positions: list[int]) -> np.ndarray:
    """0-based rank of each position by descending score (ties by position), without sorting every score."""
    return np.array([int((scores > scores[i]).sum() + (scores[:i] == scores[i]).sum()) for i in positions])
