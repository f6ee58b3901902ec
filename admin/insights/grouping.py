"""Grouping similar resident questions by weighted character-bigram similarity (single link); pure."""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from knowledge.privacy import mask_personal_data

DICE_MIN = 0.57
SMOOTHING = 10  # pseudo-questions, so that small batches do not make every shared bigram look common
EXAMPLES = 5


REGISTER_JA = {"ja": "日本語", "easy": "やさしい日本語", "en": "英語"}


@dataclass(frozen=True)
class Given:
    """The answer the bot gave to a question the resident rated unhelpful or asked again: the entry, the register
    it was shown in, that entry's question and answer in that register, and the resident's rephrase if any."""

    faq_id: str
    register: str
    question: str
    answer: str
    rephrase: str | None = None

    @property
    def register_ja(self) -> str:
        """The register's name for staff."""
        return REGISTER_JA.get(self.register, self.register)


@dataclass
class Question:
    """One stored question: its id, masked text, why it was kept, the bot's best guess and the answer it gave."""

    id: int
    text: str
    reason: str
    best_faq_id: str | None = None
    given: Given | None = None


@dataclass
class Group:
    """Similar questions: the first one stands for the group."""

    items: list[Question] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The representative wording (personal data masked)."""
        return mask_personal_data(self.items[0].text)

    @property
    def count(self) -> int:
        """How many questions the group holds."""
        return len(self.items)

    @property
    def ids(self) -> list[int]:
        """Ids of every question in the group."""
        return [q.id for q in self.items]

    @property
    def examples(self) -> list[str]:
        """Up to five distinct wordings, masked."""
        return list(dict.fromkeys(mask_personal_data(q.text) for q in self.items))[:EXAMPLES]

    @property
    def reasons(self) -> Counter:
        """Counts per reason (abstained, low_confidence, unhelpful, rephrased)."""
        return Counter(q.reason for q in self.items)

    @property
    def answers_given(self) -> list[Given]:
        """The distinct answers the bot gave that missed (rated unhelpful, or followed by a rephrase)."""
        return list(dict.fromkeys(q.given for q in self.items if q.given))[:EXAMPLES]

    @property
    def suggested_faq(self) -> str | None:
        """The FAQ the bot most often thought closest."""
        guesses = Counter(q.best_faq_id for q in self.items if q.best_faq_id)
        return guesses.most_common(1)[0][0] if guesses else None


def bigrams(text: str) -> frozenset:
    """Character bigrams of the text (NFKC, lower case, letters and digits only; kana kept apart)."""
    kept = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if unicodedata.category(ch)[0] in "LN")
    return frozenset(kept[i : i + 2] for i in range(len(kept) - 1)) or frozenset({kept})


def gram_weight(gram: str) -> float:
    """How much a shared bigram says about the topic: kana endings and latin acronyms little, kanji a lot."""
    if all("\u3040" <= ch <= "\u309f" for ch in gram):  # hiragana only: です, たい, ます
        return 0.2
    if gram.isascii():  # np, po: the acronyms nearly every question shares
        return 0.5
    return 1.0


def _weights(grams_per_question: list[frozenset]) -> dict[str, float]:
    df = Counter(g for grams in grams_per_question for g in grams)
    n = len(grams_per_question)
    return {g: gram_weight(g) * (1.0 + math.log((n + SMOOTHING) / (count + 1))) for g, count in df.items()}


def similarity(a: frozenset, b: frozenset, weights: dict[str, float]) -> float:
    """Weighted Dice coefficient of two bigram sets (1.0 for the same text)."""
    if a == b:
        return 1.0
    total = sum(weights[g] for g in a) + sum(weights[g] for g in b)
    return 2 * sum(weights[g] for g in a & b) / total if total else 0.0


def group_questions(questions: list[Question]) -> list[Group]:
    """Groups of similar questions (single link over all pairs), largest first, then in the order given."""
    grams = [bigrams(q.text) for q in questions]
    weights = _weights(grams)
    parent = list(range(len(questions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(questions)), 2):
        if grams[i] & grams[j] and similarity(grams[i], grams[j], weights) >= DICE_MIN:
            parent[max(root(i), root(j))] = min(root(i), root(j))
    groups: dict[int, Group] = {}
    for i, question in enumerate(questions):
        groups.setdefault(root(i), Group()).items.append(question)
    return sorted(groups.values(), key=lambda g: (-g.count, questions.index(g.items[0])))
