"""Japanese words for retrieval and triage: SudachiPy (core dictionary), content words in normalised form.

Normalised forms fold spellings a character n-gram cannot (つくる/作る/創る → 作る, ダメ/駄目 → 駄目); the
dictionary form keeps words whole, so 「どなたか」 never contains 「怒鳴る」. One tokenizer per thread: SudachiPy's
tokenizer is not shared across threads.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from sudachipy import Dictionary, SplitMode

from knowledge.text import kata_to_hira

# Parts of speech that carry meaning for matching; particles, auxiliaries and symbols do not.
CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "連体詞", "代名詞", "感動詞"})
# Light verbs and formal nouns that appear in nearly every question.
STOP_WORDS = frozenset(
    "為る 有る 居る 成る 出来る 思う 御座る 言う 事 物 為 様 の ん 方 所 時 中 等 貰う 下さる 頂く 致す 申す 良い 遣る "
    "くれる 欲しい 見る 来る 行く 置く 仕舞う 何 此れ 其れ 彼れ 此の 其の 是非 一寸 どう 如何 よろしい 宜しい "
    "御 お ご さん 様 達 ら 位 程 ここ そこ 何処 誰 いつ 今 一 二 本当 ちょっと 色々".split()
)
_local = threading.local()


@dataclass(frozen=True)
class Word:
    """One morpheme: what was written, its normalised form, its part of speech and its shorter units."""

    surface: str
    norm: str
    pos: str
    parts: tuple[str, ...] = ()  # normalised forms of its short units (NPO法人 → npo, 法人), when it has several
    reading: str = ""  # in hiragana (監事 → かんじ)

    @property
    def content(self) -> bool:
        """A meaningful word (not a particle, ending, symbol or light verb)."""
        return self.pos in CONTENT_POS and self.norm not in STOP_WORDS


def _tokenizer():
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        tok = _local.tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.C)
    return tok


@lru_cache(maxsize=4096)
def analyse(text: str) -> tuple[Word, ...]:
    """The morphemes of a text (NFKC, lower case), cached: the same message is read by several consumers."""
    clean = unicodedata.normalize("NFKC", text or "").lower()[:5000]
    if not clean.strip():
        return ()
    words = []
    for w in _tokenizer().tokenize(clean):
        pos = w.part_of_speech()[0]
        if pos in ("空白", "補助記号"):
            continue
        units = w.split(SplitMode.A)
        parts = tuple(u.normalized_form().lower() for u in units) if len(units) > 1 else ()
        words.append(Word(w.surface(), w.normalized_form().lower(), pos, parts, kata_to_hira(w.reading_form())))
    return tuple(words)


@lru_cache(maxsize=1024)
def word_starts(text: str) -> frozenset[int]:
    """Where each word (Sudachi's short units) begins in the text, as it is (no NFKC): 人 starts no word in 法人."""
    starts = set()
    for m in _tokenizer().tokenize(text):
        starts.add(m.begin())
        starts.update(u.begin() for u in m.split(SplitMode.A))
    return frozenset(starts)


def content_words(text: str) -> list[str]:
    """Normalised content words and their short units (「NPO法人って税金かかる？」 → npo法人, npo, 法人, 税金…)."""
    found = []
    for w in analyse(text):
        if w.content:
            found.append(w.norm)
            found.extend(p for p in w.parts if p not in STOP_WORDS and len(p) > 1)
    return found


def all_words(text: str) -> list[str]:
    """Every morpheme's normalised form, in order (for phrase matching)."""
    return [w.norm for w in analyse(text)]


def surfaces(text: str) -> list[str]:
    """Every morpheme as written (NFKC, lower case), in order."""
    return [w.surface for w in analyse(text)]
