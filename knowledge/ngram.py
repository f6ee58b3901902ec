"""Character n-gram retrieval: weighted gram overlap at several levels, fused with rapidfuzz similarity, per entry.

Each FAQ entry is matched through
  * its single best question/paraphrase (a close rewording of one way residents ask),
  * all its questions and paraphrases together (the entry's vocabulary: a message may mix words of several),
  * its answer text (weakly: content words residents use that no paraphrase happens to contain), and
  * its topic, through which topics' entries use the message's grams (a small classifier learned from the KB).
Grams are character 2- and 3-grams of the normalised text plus single kanji (雇う, 雇い and 雇用 share 雇). Their
weights are idf over entries times a character-class factor: grams of hiragana only are mostly particles and
endings (「ありますか」「どうやるの」) and count for less, unless the FAQ writes them in katakana (「メルマガ」).
Messages in Latin letters are searched through the glossary's English words (their Japanese terms) and through their
own words (the entries' English paraphrases).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

import numpy as np
from rapidfuzz import fuzz
from scipy.sparse import csr_matrix

from knowledge.entries import Entry
from knowledge.text import fold_spellings, kana_grams, kanji, ngrams, normalize

QUERY_COVERAGE_EXPONENT = 0.6
# How the lexical score is made of best paraphrase, all paraphrases of the entry, the answer and the topic.
DOC_WEIGHT, ENTRY_WEIGHT, ANSWER_WEIGHT, TOPIC_WEIGHT = 0.5, 0.3, 0.2, 0.2
KANA_ONLY_FACTOR = 0.35
KANJI_FACTOR = 0.5
# Grams that join a word to a particle (「の解」「人の」「を始」) are rare as combinations but say little.
PARTICLE_FACTOR = 0.6
_PARTICLE = re.compile(r"[のをがはにでともへや]")
_KANA_ONLY = re.compile(r"^[\u3041-\u309f]+$")
_WORD = re.compile(r"[a-z0-9]+")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def prepare(text: str) -> str:
    """The form both FAQ texts and messages are matched in: normalised, common kana spellings folded."""
    return fold_spellings(normalize(text))


def is_latin_script(text: str) -> bool:
    """A message written in Latin letters only (English), searched through the glossary's English words."""
    return not _JAPANESE.search(text) and len(re.findall(r"[A-Za-z]", text)) >= 3


class Glossary:
    """Synonym groups; a variant found in a query adds its canonical term as an extra segment."""

    def __init__(self, groups: Iterable[list[str]]):
        groups = [[str(term) for term in group] for group in groups]
        self.canonical_terms = [group[0] for group in groups if group]
        pairs = {(prepare(v), prepare(group[0])) for group in groups for v in group if prepare(v)}
        self._pairs = sorted(pairs, key=lambda p: -len(p[0]))
        latin = {
            (" ".join(_WORD.findall(v.lower())), prepare(group[0]))
            for group in groups
            for v in group
            if v.isascii() and _WORD.search(v.lower())
        }
        self._latin = sorted(latin, key=lambda p: -len(p[0]))

    def expand(self, text: str) -> list[str]:
        """The prepared text plus the canonical terms of variants it contains."""
        added = sorted({canon for variant, canon in self._pairs if variant in text and canon not in text})
        return [text, *added]

    def translate(self, text: str) -> list[str]:
        """Canonical terms of the Latin-script variants (whole words or phrases) in an English message."""
        words = " " + " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower())) + " "
        return sorted({canon for variant, canon in self._latin if f" {variant} " in words})


class NgramIndex:
    """An immutable character n-gram index over FAQ entries (rebuild it when the content changes)."""

    def __init__(self, entries: Iterable[Entry], glossary: Glossary | None = None):
        self.glossary = glossary or Glossary([])
        self.entries: list[Entry] = list(entries)
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        self._doc_entry: list[int] = []
        self._doc_text: list[str] = []
        rows: list[set[str]] = []
        profiles: list[set[str]] = []
        answers: list[set[str]] = []
        seen, in_katakana = Counter(), Counter()  # per hiragana gram: how often the FAQ has it, and in katakana
        for position, entry in enumerate(self.entries):
            profile: set[str] = set()
            for variant in dict.fromkeys((entry.question, *entry.paraphrases)):
                norm = prepare(variant)
                if not norm:
                    continue
                self._doc_entry.append(position)
                self._doc_text.append(norm)
                grams = self._grams(norm)
                rows.append(grams)
                profile |= grams
            profiles.append(profile)
            answers.append(set(_grams_of(prepare(entry.answer))))
            for text in (entry.question, *entry.paraphrases, entry.answer):
                _count_kana(seen, in_katakana, text)
        for term in self.glossary.canonical_terms:
            _count_kana(seen, in_katakana, term)
        self._katakana_share = {g: in_katakana[g] / n for g, n in seen.items()}
        self._build(rows, profiles, answers)

    def _grams(self, norm: str) -> set[str]:
        return {g for segment in self.glossary.expand(norm) for g in _grams_of(segment)}

    def _factor(self, gram: str, katakana_share: float | None = None) -> float:
        """Character-class weight of a gram."""
        if len(gram) == 1 and not gram.isascii():
            return KANJI_FACTOR
        if not _KANA_ONLY.match(gram):
            return PARTICLE_FACTOR if _PARTICLE.search(gram) else 1.0
        share = self._katakana_share.get(gram, 0.0) if katakana_share is None else katakana_share
        return KANA_ONLY_FACTOR + (1 - KANA_ONLY_FACTOR) * share

    def _build(self, rows: list[set[str]], profiles: list[set[str]], answers: list[set[str]]) -> None:
        vocab: dict[str, int] = {}
        for grams in (*profiles, *answers):
            for g in grams:
                vocab.setdefault(g, len(vocab))
        self._vocab = vocab
        width = max(len(vocab), 1)
        self._matrix = _binary(rows, vocab, width)
        self._profiles = _binary(profiles, vocab, width)
        self._answers = _binary(answers, vocab, width)
        n_entries = max(len(profiles), 1)
        df = np.asarray(self._profiles.sum(axis=0)).ravel() + 0.5 * np.asarray(self._answers.sum(axis=0)).ravel()
        idf = np.log((n_entries - df + 0.5) / (df + 0.5) + 1.0)
        factors = np.ones(width)
        for gram, column in vocab.items():
            factors[column] = self._factor(gram)
        self._weight = np.maximum(idf, 0.05) * factors
        self._unknown_idf = math.log(n_entries + 1.0)
        self._doc_weight = self._matrix @ self._weight
        # P(topic | gram) from which topics' entries use each gram.
        self._topics = sorted({e.topic for e in self.entries})
        topic_of = np.array([self._topics.index(e.topic) for e in self.entries], dtype=np.int64)
        membership = csr_matrix(
            (np.ones(len(self.entries)), (topic_of, np.arange(len(self.entries)))),
            shape=(max(len(self._topics), 1), len(self.entries)),
        )
        counts = np.asarray((membership @ self._profiles).todense())
        totals = counts.sum(axis=0)
        self._topic_given_gram = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        self._entry_topic = topic_of
        self._doc_entry_arr = np.asarray(self._doc_entry, dtype=np.int64)
        # Docs are grouped by entry in order, so entry-level maxima come from reduceat over group starts.
        self._starts = np.flatnonzero(np.r_[True, np.diff(self._doc_entry_arr) != 0]) if self._doc_entry else None
        self._ranges: dict[int, tuple[int, int]] = {}
        if self._starts is not None:
            ends = [*self._starts[1:].tolist(), len(self._doc_entry)]
            for start, end in zip(self._starts.tolist(), ends, strict=True):
                self._ranges[self._doc_entry[start]] = (start, end)

    def query_form(self, query: str) -> tuple[str, set[str]]:
        """The normalised query and its grams (an English message: the Japanese terms its words stand for)."""
        if is_latin_script(query):  # its glossary words' Japanese terms, and its own words for English wordings
            terms = self.glossary.translate(query)
            literal = prepare(query)
            return "".join(terms) or literal, {g for term in terms for g in _grams_of(term)} | self._grams(literal)
        norm = prepare(query)
        return norm, self._grams(norm)

    def scores(self, query: str) -> tuple[str, np.ndarray]:
        """The normalised query and the lexical score (0..1) of every entry, in entry order."""
        lexical = np.zeros(len(self.entries))
        norm, grams = self.query_form(query)
        if self._starts is None or not norm:
            return norm, lexical
        known = [self._vocab[g] for g in grams if g in self._vocab]
        if not known:
            return norm, lexical
        own_katakana = {g for g, in_katakana in kana_grams(query) if in_katakana}
        unknown = sum(
            self._unknown_idf * self._factor(g, float(g in own_katakana)) for g in grams if g not in self._vocab
        )
        q_weight = float(self._weight[known].sum()) + unknown
        qvec = np.zeros(self._matrix.shape[1])
        qvec[known] = self._weight[known]
        inter = self._matrix @ qvec
        q_cov = inter / q_weight
        d_cov = np.divide(inter, self._doc_weight, out=np.zeros_like(inter), where=self._doc_weight > 0)
        doc_level = np.power(q_cov, QUERY_COVERAGE_EXPONENT) * np.power(d_cov, 1 - QUERY_COVERAGE_EXPONENT)
        best_doc = np.maximum.reduceat(doc_level, self._starts)
        entry_ids = self._doc_entry_arr[self._starts]
        entry_level = (self._profiles @ qvec)[entry_ids] / q_weight
        answer_level = (self._answers @ qvec)[entry_ids] / q_weight
        topic_level = ((self._topic_given_gram @ qvec) / q_weight)[self._entry_topic[entry_ids]]
        lexical[entry_ids] = (
            DOC_WEIGHT * best_doc
            + ENTRY_WEIGHT * entry_level
            + ANSWER_WEIGHT * answer_level
            + TOPIC_WEIGHT * topic_level
        )
        return norm, lexical

    def closest(self, norm: str, position: int) -> tuple[float, str]:
        """rapidfuzz ratio (0..1) of the normalised query to the entry's closest question or paraphrase, and it."""
        best_text, best_fuzzy = "", 0.0
        if position not in self._ranges:
            return 0.0, ""
        start, end = self._ranges[position]
        for doc in range(start, end):
            similarity = fuzz.ratio(norm, self._doc_text[doc]) / 100.0
            if similarity > best_fuzzy:
                best_text, best_fuzzy = self._doc_text[doc], similarity
        return best_fuzzy, best_text


def _grams_of(text: str) -> list[str]:
    return [*ngrams(text), *kanji(text)]


def _count_kana(seen: Counter, in_katakana: Counter, text: str) -> None:
    for gram, katakana in kana_grams(text):
        seen[gram] += 1
        in_katakana[gram] += katakana


def _binary(rows: list[set[str]], vocab: dict[str, int], width: int) -> csr_matrix:
    indices: list[int] = []
    indptr = [0]
    for grams in rows:
        indices.extend(vocab[g] for g in grams if g in vocab)
        indptr.append(len(indices))
    return csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), width))
