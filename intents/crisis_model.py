"""A learned crisis detector: P(crisis) for a message, from its words and its meaning.

Crisis is read apart from the other intents because missing one costs most, and because residents rarely use the
lexicon's words for it (「明日の朝、海へ行ってそのまま帰らない」「身辺整理を始めました」). A binary logistic regression
over character n-grams, content words and the message's sentence embedding (the same e5 vector retrieval computes)
is trained on the intent model's examples, crisis against everything else. The training texts' vectors are shipped
in `intents/data/vectors.npz` (written by `madoguchi eval --calibrate`), so no process has to embed them at start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from intents.model import ProcessModel
from knowledge.morph import content_words
from knowledge.semantic import shared_embedder, text_key
from knowledge.text import normalize

TRAINING_VECTORS = Path(__file__).parent / "data" / "vectors.npz"
# The embedding's weight beside the TF-IDF features (chosen by cross-validation over the dev set: on 3,267 messages,
# 2.0 with MODEL_CRISIS 0.5 held out crisis recall 0.953 with 29 false alarms, against 0.947 / 32 for 1.0 with 0.45).
MEANING_WEIGHT = 2.0
QUERY_CHARS = 500  # as retrieval embeds it, so the vector is computed once per message


def _load_vectors(path: Path = TRAINING_VECTORS) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        if str(data["model"]) != shared_embedder().name:
            return {}
        return dict(zip(data["keys"].tolist(), data["vectors"].astype(np.float32), strict=True))


def training_vectors(texts: list[str]) -> np.ndarray:
    """The texts' vectors: from the shipped file where known, else embedded now (slow: `eval --calibrate` ships
    them)."""
    known = _load_vectors()
    missing = list(dict.fromkeys(t[:QUERY_CHARS] for t in texts if text_key(t[:QUERY_CHARS]) not in known))
    if missing:
        known.update(zip(map(text_key, missing), shared_embedder().embed(missing), strict=True))
    return np.vstack([known[text_key(t[:QUERY_CHARS])] for t in texts])


def save_training_vectors(texts: list[str], path: Path = TRAINING_VECTORS) -> None:
    """Ship the training texts' vectors so the next process starts without embedding them."""
    unique = list(dict.fromkeys(t[:QUERY_CHARS] for t in texts))
    vectors = training_vectors(unique)
    keys = np.array([text_key(t) for t in unique])
    name = np.array(shared_embedder().name)
    np.savez_compressed(path, model=name, keys=keys, vectors=vectors.astype(np.float16))


class CrisisModel:
    """Logistic regression, crisis against every other intent, over TF-IDF features and the sentence embedding."""

    def __init__(self, examples: list[tuple[str, str]], c: float = 4.0):
        texts = [t for t, _ in examples]
        labels = [label == "crisis" for _, label in examples]
        self._chars = TfidfVectorizer(preprocessor=normalize, analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._words = TfidfVectorizer(analyzer=content_words, sublinear_tf=True)
        features = sparse.hstack(
            [
                self._chars.fit_transform(texts),
                self._words.fit_transform(texts),
                sparse.csr_matrix(training_vectors(texts) * MEANING_WEIGHT),
            ]
        ).tocsr()
        self._classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(features, labels)

    def probability(self, text: str) -> float:
        """P(crisis) for one message."""
        vector = shared_embedder().query(text[:QUERY_CHARS]) * MEANING_WEIGHT
        row = sparse.hstack(
            [self._chars.transform([text]), self._words.transform([text]), sparse.csr_matrix(vector[None, :])]
        ).tocsr()
        return float(self._classifier.predict_proba(row)[0, 1])


CRISIS_MODEL = ProcessModel(CrisisModel)
