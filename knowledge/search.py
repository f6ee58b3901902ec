"""Pure retrieval: idf-weighted character n-gram overlap fused with rapidfuzz similarity, per FAQ entry."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
from rapidfuzz import fuzz
from scipy.sparse import csr_matrix

from knowledge.entries import Entry
from knowledge.text import ngrams, normalize

CANDIDATES = 12
LEXICAL_WEIGHT = 0.7
QUERY_COVERAGE_EXPONENT = 0.6


@dataclass(frozen=True)
class Match:
    """One ranked entry with its fused score (0..1) and the parts it came from."""

    entry: Entry
    score: float
    lexical: float
    fuzzy: float
    matched: str


class Glossary:
    """Synonym groups; a variant found in a query adds its canonical term as an extra segment."""

    def __init__(self, groups: Iterable[list[str]]):
        pairs = {(normalize(v), normalize(group[0])) for group in groups for v in group if normalize(v)}
        self._pairs = sorted(pairs, key=lambda p: -len(p[0]))

    def expand(self, text: str) -> list[str]:
        """The normalised text plus the canonical terms of variants it contains."""
        added = sorted({canon for variant, canon in self._pairs if variant in text and canon not in text})
        return [text, *added]


class KnowledgeIndex:
    """An immutable search index over FAQ entries (rebuild it when the content changes)."""

    def __init__(self, entries: Iterable[Entry], glossary: Glossary | None = None):
        self.glossary = glossary or Glossary([])
        self.entries: list[Entry] = list(entries)
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        self._doc_entry: list[int] = []
        self._doc_text: list[str] = []
        rows: list[set[str]] = []
        for position, entry in enumerate(self.entries):
            for variant in dict.fromkeys((entry.question, *entry.paraphrases)):
                norm = normalize(variant)
                if not norm:
                    continue
                self._doc_entry.append(position)
                self._doc_text.append(norm)
                rows.append(self._grams(norm))
        self._build_matrix(rows)

    def _grams(self, norm: str) -> set[str]:
        return {g for segment in self.glossary.expand(norm) for g in ngrams(segment)}

    def _build_matrix(self, rows: list[set[str]]) -> None:
        vocab: dict[str, int] = {}
        indices: list[int] = []
        indptr = [0]
        for grams in rows:
            indices.extend(vocab.setdefault(g, len(vocab)) for g in grams)
            indptr.append(len(indices))
        n_docs = max(len(rows), 1)
        matrix = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), max(len(vocab), 1)))
        df = np.asarray(matrix.sum(axis=0)).ravel()
        self._vocab = vocab
        self._idf = np.log((n_docs - df + 0.5) / (df + 0.5) + 1.0)
        self._unknown_idf = math.log(n_docs + 1.0)
        self._matrix = matrix
        self._doc_weight = matrix @ self._idf
        self._doc_entry_arr = np.asarray(self._doc_entry, dtype=np.int64)
        # Docs are grouped by entry in order, so entry-level maxima come from reduceat over group starts.
        self._starts = np.flatnonzero(np.r_[True, np.diff(self._doc_entry_arr) != 0]) if self._doc_entry else None
        self._ranges: dict[int, tuple[int, int]] = {}
        if self._starts is not None:
            ends = [*self._starts[1:].tolist(), len(self._doc_entry)]
            for start, end in zip(self._starts.tolist(), ends, strict=True):
                self._ranges[self._doc_entry[start]] = (start, end)

    def search(self, query: str, today: date | None = None, k: int = 3) -> list[Match]:
        """Top-k entries for a query, best first; entries not valid on `today` are never returned."""
        norm = normalize(query)
        if not norm or self._starts is None:
            return []
        grams = self._grams(norm)
        known = [self._vocab[g] for g in grams if g in self._vocab]
        q_weight = sum(self._idf[c] for c in known) + self._unknown_idf * (len(grams) - len(known))
        if not known or q_weight <= 0:
            return []
        qvec = np.zeros(self._matrix.shape[1])
        qvec[known] = self._idf[known]
        inter = self._matrix @ qvec
        q_cov = inter / q_weight
        d_cov = np.divide(inter, self._doc_weight, out=np.zeros_like(inter), where=self._doc_weight > 0)
        lexical_docs = np.power(q_cov, QUERY_COVERAGE_EXPONENT) * np.power(d_cov, 1 - QUERY_COVERAGE_EXPONENT)
        entry_ids = self._doc_entry_arr[self._starts]
        lexical = np.maximum.reduceat(lexical_docs, self._starts)
        if today is not None:
            valid = np.array([self.entries[i].is_valid_on(today) for i in entry_ids])
            lexical = np.where(valid, lexical, -1.0)
        top = np.argsort(-lexical)[:CANDIDATES]
        matches = [self._fuse(norm, int(entry_ids[i]), float(lexical[i])) for i in top if lexical[i] > 0]
        matches.sort(key=lambda m: -m.score)
        return matches[:k]

    def _fuse(self, norm: str, position: int, lexical: float) -> Match:
        best_text, best_fuzzy = "", 0.0
        start, end = self._ranges[position]
        for doc in range(start, end):
            similarity = fuzz.ratio(norm, self._doc_text[doc]) / 100.0
            if similarity > best_fuzzy:
                best_text, best_fuzzy = self._doc_text[doc], similarity
        score = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * best_fuzzy
        return Match(self.entries[position], round(score, 4), round(lexical, 4), round(best_fuzzy, 4), best_text)
