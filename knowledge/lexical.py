"""BM25 over normalised Japanese words (SudachiPy) and English words, per entry (bm25s).

Three fields per entry: its questions and paraphrases, its answer, and its English question and answer. Scores are
scaled to 0..1 by the most a query's words could score (each word's idf × (k1 + 1)), so they read as "how much of
what the message says does this entry speak to".
"""

from __future__ import annotations

import re
import unicodedata

import bm25s
import numpy as np
from scipy.sparse import csr_matrix

from knowledge.entries import Entry
from knowledge.morph import content_words
from knowledge.ngram import is_latin_script

K1, B = 1.2, 0.75
_EN_WORD = re.compile(r"[a-z][a-z0-9']+")
EN_STOP = frozenset(
    "a an the is are was were be been do does did i me my we our you your it its of to in on at for with and or "
    "what how when where which who why can could should would will may might there this that these those have has "
    "had please about from by as if not no yes any some get want need like know tell".split()
)


def english_words(text: str) -> list[str]:
    """Lower-case English words without stop words (a crude plural fold: groups → group)."""
    words = _EN_WORD.findall(unicodedata.normalize("NFKC", text or "").lower())
    return [w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w for w in words if w not in EN_STOP]


class Field:
    """One BM25 field: a document of words per entry."""

    def __init__(self, docs: list[list[str]]):
        self.model = bm25s.BM25(k1=K1, b=B)
        self.empty = not any(docs)
        if not self.empty:
            self.model.index([d or ["\u0000"] for d in docs], show_progress=False)
            vocab = self.model.vocab_dict
            n = len(docs)
            df = np.zeros(len(vocab))
            for doc in docs:
                for word in set(doc):
                    df[vocab[word]] += 1
            self._idf = {w: float(np.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5))) for w, i in vocab.items()}
            self._unknown_idf = float(np.log(1 + (n + 0.5) / 0.5))
            rows = [sorted({vocab[w] for w in doc}) for doc in docs]
            indptr = np.cumsum([0, *(len(r) for r in rows)])
            indices = [i for r in rows for i in r]
            self._has = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, len(vocab)))
        self.size = len(docs)

    def coverage(self, words: list[str]) -> np.ndarray:
        """0..1 per entry: the idf-weighted share of the message's words that the entry's text uses at all."""
        if self.empty or not words:
            return np.zeros(self.size)
        distinct = set(words)
        total = sum(self._idf.get(w, self._unknown_idf) for w in distinct)
        query = np.zeros(self._has.shape[1])
        for w in distinct:
            if w in self.model.vocab_dict:
                query[self.model.vocab_dict[w]] = self._idf[w]
        return np.asarray(self._has @ query) / total

    def scores(self, words: list[str]) -> np.ndarray:
        """0..1 per entry: BM25 over the most these words could score."""
        if self.empty or not words:
            return np.zeros(self.size)
        ceiling = sum(self._idf.get(w, self._unknown_idf) for w in words) * (K1 + 1)
        known = [w for w in words if w in self._idf]
        if not known:
            return np.zeros(self.size)
        return np.asarray(self.model.get_scores(known), dtype=np.float64) / ceiling


class LexicalIndex:
    """BM25 fields over entries: questions and paraphrases, answers, English texts."""

    def __init__(self, entries: list[Entry]):
        self.questions = Field([_words(e.question, *e.paraphrases) for e in entries])
        self.answers = Field([_words(e.answer) for e in entries])
        self.english = Field([english_words(f"{_en(e, 'question_en')} {_en(e, 'answer_en')}") for e in entries])

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(questions, answers, English, word coverage by the questions) per entry for one message."""
        words = content_words(query)
        english = self.english.scores(english_words(query)) if is_latin_script(query) else np.zeros(self.english.size)
        return self.questions.scores(words), self.answers.scores(words), english, self.questions.coverage(words)


def _words(*texts: str) -> list[str]:
    return [w for t in texts for w in content_words(t)]


def _en(entry: Entry, name: str) -> str:
    return getattr(entry, name, "") or ""
