"""Messages in hiragana, read back into the knowledge base's words (「じちかい の やくいん」 → 「自治会 の 役員」).

Residents without kanji input (many elderly residents, foreign residents, children) write in hiragana, which the
n-gram, BM25 and embedding retrievers barely match against FAQ texts written in kanji. Each index learns its nouns'
readings from its own entries (SudachiPy's reading form); in a message written mostly in hiragana, the longest
known readings are replaced by those nouns before the message is searched. Only the knowledge base's vocabulary is
used, so a reading can only become a word the FAQ itself writes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from knowledge.morph import analyse

HIRAGANA_SHARE = 0.7  # of a message's Japanese characters, for it to count as written in hiragana
MIN_READING = 2  # one-kana readings (か, き, て…) are particles and endings far more often than nouns
SHORT_READING = 3  # …and short ones (いま, さい, ちたい) are inside other words unless they stand alone
PARTICLES = "のをがはにでともへや"
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_HIRAGANA_RUN = re.compile(r"[\u3041-\u309f\u30fc]+")
_KANJI = re.compile(r"[\u3400-\u9fff]")
_WRITTEN = re.compile(r"[\u30a1-\u30ff\u3400-\u9fff]")  # a surface worth restoring has kanji or katakana…
_LATIN = re.compile(r"[a-z]{2,4}")  # …or is a Latin abbreviation (npo, csr) with a long reading (not the えー of a)
LATIN_READING = 4


def _worth_restoring(surface: str, reading: str) -> bool:
    if len(reading) < MIN_READING:
        return False
    return bool(_WRITTEN.search(surface)) or bool(_LATIN.fullmatch(surface)) and len(reading) >= LATIN_READING


def written_in_hiragana(text: str) -> bool:
    """Whether most of the message's Japanese characters are hiragana (「ぼらんてぃあ はじめたい」)."""
    japanese = _JAPANESE.findall(text)
    return len(japanese) >= MIN_READING and len(_HIRAGANA.findall(text)) >= HIRAGANA_SHARE * len(japanese)


class KanaRestorer:
    """Readings of the nouns in some texts, and the surface each is most often written with."""

    def __init__(self, texts: Iterable[str]):
        counts: defaultdict[str, Counter] = defaultdict(Counter)
        for text in texts:
            for word in analyse(text):
                if word.pos == "名詞" and _worth_restoring(word.surface, word.reading):
                    counts[word.reading][word.surface] += 1
        # The most common surface, written in Japanese where the FAQ has one (てきすと → テキスト, not text).
        self.surfaces = {r: min(c, key=lambda w: (w.isascii(), -c[w])) for r, c in counts.items()}
        self._longest = max(map(len, self.surfaces), default=0)

    def restore(self, text: str) -> str:
        """The message with known readings in its hiragana runs written as the FAQ writes them (others unchanged)."""
        if not self.surfaces or not written_in_hiragana(text):
            return text
        return _HIRAGANA_RUN.sub(lambda run: self._restore_run(run.group(0), _after_kanji(text, run.start())), text)

    def _restore_run(self, run: str, okurigana: bool) -> str:
        """Longest known readings first. A run right after kanji starts with its ending (始めたい), and a
        short reading counts only as a word on its own (「ひと が」, not the さい of ください)."""
        out, i = [], 0
        while i < len(run):
            for length in range(min(self._longest, len(run) - i), MIN_READING - 1, -1):
                surface = self.surfaces.get(run[i : i + length])
                if surface is not None and not (okurigana and i == 0) and _a_word(run, i, length):
                    out.append(surface)
                    i += length
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)


def _a_word(run: str, start: int, length: int) -> bool:
    """A long reading is a word wherever it is; a short one only between particles (「の かんじ って」)."""
    if length > SHORT_READING:
        return True
    end = start + length
    return (start == 0 or run[start - 1] in PARTICLES) and (end == len(run) or run[end] in PARTICLES + "っ")


def _after_kanji(text: str, position: int) -> bool:
    return position > 0 and bool(_KANJI.match(text[position - 1]))
