"""Normalisation of short Japanese queries: width, case, kana folding, small kana, long vowels, symbols."""

from __future__ import annotations

import functools
import re
import unicodedata

_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_SMALL_KATAKANA = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_LONG_VOWELS = {"ー", "〜", "～"}
_HIRAGANA_ONLY = re.compile(r"^[\u3041-\u309f]+$")
_KATAKANA_ONLY = re.compile(r"^[\u30a1-\u30ff]+$")
_KANJI = re.compile(r"[\u3400-\u9fff]")
# Words residents often write in kana where the FAQ writes kanji (and the other way round); folded for search only.
_SPELLINGS = {
    "つくり": "作り",
    "つくる": "作る",
    "つくれ": "作れ",
    "つくっ": "作っ",
    "わから": "分から",
    "わかり": "分かり",
    "わかる": "分かる",
    "さがし": "探し",
    "さがす": "探す",
    "しらべ": "調べ",
    "てつづき": "手続き",
    "おかね": "お金",
    "こども": "子ども",
    "子供": "子ども",
}
_SPELLING = re.compile("|".join(sorted(map(re.escape, _SPELLINGS), key=len, reverse=True)))


def kata_to_hira(text: str) -> str:
    """Fold katakana to hiragana (ァ-ヶ → ぁ-ゖ)."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _kept(ch: str) -> bool:
    # Letters, numbers and marks stay; punctuation, symbols (emoji too), spaces and controls go.
    return unicodedata.category(ch)[0] in "LNM" and ch not in _LONG_VOWELS


@functools.lru_cache(maxsize=4096)  # a message is normalised by several steps of its handling
def normalize(text: str) -> str:
    """Canonical matching form: NFKC, lower case, hiragana, large kana, no long vowels, spaces or symbols."""
    text = kata_to_hira(unicodedata.normalize("NFKC", text or "").lower())
    return "".join(ch for ch in text.translate(_SMALL_KANA) if _kept(ch))


def script(text: str) -> str:
    """Like `normalize` but keeping katakana: the same length, so it tells which characters were not hiragana."""
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_SMALL_KATAKANA)
    return "".join(ch for ch in text.translate(_SMALL_KANA) if _kept(ch))


def fold_spellings(norm: str) -> str:
    """Common kana spellings of words the FAQ writes in kanji (つくりかた → 作りかた), for matching only."""
    return _SPELLING.sub(lambda m: _SPELLINGS[m.group(0)], norm)


def ngrams(text: str) -> list[str]:
    """Character 2- and 3-grams of a normalised string (the string itself when shorter)."""
    if len(text) < 2:
        return [text] if text else []
    return [text[i : i + n] for n in (2, 3) for i in range(len(text) - n + 1)]


def kana_grams(text: str) -> list[tuple[str, bool]]:
    """Each gram of `normalize(text)` made only of hiragana, with whether it was written in katakana.

    Grams of hiragana only are mostly particles and endings (「ありますか」), but katakana words are content
    (「メルマガ」 → 「めるまが」); this keeps the difference that `normalize` folds away.
    """
    norm, original = normalize(text), script(text)
    if len(norm) != len(original):
        return []
    found = []
    for n in (2, 3):
        for i in range(len(norm) - n + 1):
            gram = norm[i : i + n]
            if _HIRAGANA_ONLY.match(gram):
                found.append((gram, _KATAKANA_ONLY.match(original[i : i + n]) is not None))
    return found


def kanji(text: str) -> list[str]:
    """The kanji characters of a string (single-character grams: 雇う, 雇い and 雇用 share 雇)."""
    return _KANJI.findall(text)
