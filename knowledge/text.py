"""Normalisation of short Japanese queries: width, case, kana folding, small kana, long vowels, symbols."""

from __future__ import annotations

import unicodedata

_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_LONG_VOWELS = {"ー", "〜", "～"}


def kata_to_hira(text: str) -> str:
    """Fold katakana to hiragana (ァ-ヶ → ぁ-ゖ)."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _kept(ch: str) -> bool:
    # Letters, numbers and marks stay; punctuation, symbols (emoji too), spaces and controls go.
    return unicodedata.category(ch)[0] in "LNM" and ch not in _LONG_VOWELS


def normalize(text: str) -> str:
    """Canonical matching form: NFKC, lower case, hiragana, large kana, no long vowels, spaces or symbols."""
    text = kata_to_hira(unicodedata.normalize("NFKC", text or "").lower())
    return "".join(ch for ch in text.translate(_SMALL_KANA) if _kept(ch))


def ngrams(text: str) -> list[str]:
    """Character 2- and 3-grams of a normalised string (the string itself when shorter)."""
    if len(text) < 2:
        return [text] if text else []
    return [text[i : i + n] for n in (2, 3) for i in range(len(text) - n + 1)]
