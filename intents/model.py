"""A learned intent model: character n-grams and normalised words → calibrated probabilities per intent.

Trained once per process (a few seconds) on the knowledge base's questions (Japanese and English) and paraphrases
(labelled with their topic), the labelled dev messages, and the lexicon's words. Rules still decide what must never
be missed or guessed (crisis words, explicit requests for a person, bookings); the model reads everything else,
including the wordings no rule lists.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline

from intents.labels import INTENTS
from knowledge.morph import content_words
from knowledge.text import normalize

DEV_EXAMPLES = Path(__file__).parent / "data" / "dev_questions.jsonl"
KB_TOPIC_INTENT = {"referral": "out_of_scope"}
M = TypeVar("M")


def _chars(text: str) -> str:
    return normalize(text)


class IntentModel:
    """Logistic regression over TF-IDF of character 1–3-grams and content words."""

    def __init__(self, examples: list[tuple[str, str]], c: float = 4.0):
        texts = [t for t, _ in examples]
        labels = [label for _, label in examples]
        features = FeatureUnion(
            [
                ("chars", TfidfVectorizer(preprocessor=_chars, analyzer="char", ngram_range=(1, 3), sublinear_tf=True)),
                ("words", TfidfVectorizer(analyzer=content_words, sublinear_tf=True)),
            ]
        )
        self.pipeline = make_pipeline(features, LogisticRegression(C=c, max_iter=3000, class_weight="balanced"))
        self.pipeline.fit(texts, labels)
        self.labels = list(self.pipeline.classes_)
        self._vectorizers = [vectorizer for _name, vectorizer in features.transformer_list]
        self._classifier = self.pipeline[-1]

    def probabilities(self, text: str) -> dict[str, float]:
        """P(intent) for one message."""
        row = self._predict_proba([text])[0]
        return {label: float(p) for label, p in zip(self.labels, row, strict=True)}

    def predict(self, texts: list[str]) -> list[str]:
        """The most likely intent of each message."""
        rows = self._predict_proba(texts)
        return [self.labels[int(i)] for i in np.argmax(rows, axis=1)]

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        """The pipeline's predict_proba, the features stacked here: the same numbers without FeatureUnion's
        per-call parallel dispatch and output wrapping (about a quarter of the model's time per message)."""
        features = sparse.hstack([vectorizer.transform(texts) for vectorizer in self._vectorizers]).tocsr()
        return self._classifier.predict_proba(features)


def training_examples(lexicon_terms: dict[str, list[str]], path: Path = DEV_EXAMPLES) -> list[tuple[str, str]]:
    """(text, intent) pairs: shipped FAQ questions (Japanese and English) and paraphrases, the dev messages, and the
    lexicon's words."""
    from knowledge.entries import load_content  # the shipped content files, not the database

    examples = []
    for entry in load_content():
        intent = KB_TOPIC_INTENT.get(entry.topic, entry.topic)
        examples += [(text, intent) for text in (entry.question, entry.question_en, *entry.paraphrases) if text]
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                examples.append((item["text"], item["intent"]))
    for intent, terms in lexicon_terms.items():
        examples += [(term, intent) for term in terms if intent in INTENTS]
    return examples


class ProcessModel(Generic[M]):
    """One model per process, trained on first use; another can stand in for a block (cross-validation)."""

    def __init__(self, build: Callable[[list[tuple[str, str]]], M]):
        self._build = build
        self._model: M | None = None
        self._lock = threading.Lock()

    def get(self, examples: Callable[[], list[tuple[str, str]]]) -> M:
        """The process's model; `examples` is called only when it must be trained."""
        with self._lock:
            if self._model is None:
                self._model = self._build(examples())
            return self._model

    @contextmanager
    def trained_on(self, examples: list[tuple[str, str]]) -> Iterator[M]:
        """Within the block the process's model is one trained on `examples`; then the old one."""
        with self._lock:
            saved, self._model = self._model, self._build(examples)
        try:
            yield self._model
        finally:
            with self._lock:
                self._model = saved


INTENT_MODEL = ProcessModel(IntentModel)
