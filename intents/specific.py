"""Whether a message asks something specific (how many, how long, where, can I, what is…) or states an open wish.

A specific question deserves the answer in the first reply; an open wish (「ボランティアしたい」) the guided path.
"""

from __future__ import annotations

import re
import unicodedata

# Question words and endings, matched on NFKC lower-case text with spaces removed.
_CUES = re.compile(
    r"何人|何名|なんにん|なんめい|何日|何年|何か月|何ヶ月|何カ月|何回|何歳|何時|何円|いくら|幾ら|費用|料金|お金|無料|有料|"
    r"いつ|どこ|どちら|どれ|どの|どう(?:やって|すれば|したら|なる|なり|する)|何を|なにを|何から|なにから|何が|なにが|"
    r"方法|やり方|やりかた|仕方|手続|手順|流れ|期限|期間|締切|締め切り|条件|要件|必要|いる\?|要る|"
    r"でき(?:ます|る)(?:か|の|\?)|出来(?:ます|る)(?:か|の|\?)|可能|大丈夫|いいですか|よいですか|いいの|べき|しなければ|"
    r"しなきゃ|ないと(?:いけ|だめ|ダメ)|ですか|ますか|でしょうか|のか|って何|ってなに|とは|違い|ちがい|"
    r"教えて|おしえて|知りたい|しりたい|わからない|分からない|[?？]|"
    r"\b(?:how|what|when|where|which|who|why|can|could|do|does|is|are|must|should|need)\b"
)
# Wishes and requests that open a path when nothing more specific is asked.
_WISH = re.compile(r"たい(?:です|んです|のですが|んですが|けど|な)?$|ほしい$|want to|would like to|i'd like to")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower().strip()


def asks_specific(text: str) -> bool:
    """A question with something to answer (「NPOの理事は何人から？」), not a bare wish or topic word."""
    folded = _fold(text)
    if not folded:
        return False
    if _CUES.search(folded.replace(" ", "")) or _CUES.search(folded):
        return True
    return False


def is_open_wish(text: str) -> bool:
    """「ボランティアしたい」「NPOを作りたいです」: a wish with no specific question in it."""
    folded = _fold(text).rstrip("。.!！ 　…〜~")
    return bool(_WISH.search(folded)) and not asks_specific(text)
