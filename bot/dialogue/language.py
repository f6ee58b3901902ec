"""Which language a typed message is in, as far as the bot needs to know: Japanese, English, or another one.

The bot answers in Japanese, やさしい日本語 and simple English; for other languages it says so (in that language
when it can) and offers a person. Detection is deliberately cautious: Japanese written only in kanji
(「港北区」, 「助成金申請」) and English with a Japanese word or two must never look foreign.
"""

from __future__ import annotations

import re
import unicodedata

from bot.dialogue.menu import back_to_menu
from bot.dialogue.reply import Reply
from bot.dialogue.texts import t
from bot.line import messages as m

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_SCRIPTS = {
    "ko": re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "ne": re.compile(r"[\u0900-\u097f]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
    "my": re.compile(r"[\u1000-\u109f]"),
    "bn": re.compile(r"[\u0980-\u09ff]"),
    "si": re.compile(r"[\u0d80-\u0dff]"),
}
# Characters of Chinese that modern Japanese does not use (simplified forms and common function words).
_CHINESE_ONLY = set("们這这吗嗎么麼您谢说說话还让给对时东问题觉过门见关开个愿帮务动织组吧呢们們请该应产业长习")
_CHINESE_COMMON = set("我你他她是的想要在做有不了")
_VIETNAMESE = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
_LATIN_WORDS = {
    "es": {"hola", "quiero", "gracias", "necesito", "ayuda", "voluntario", "voluntariado", "puedo", "buenos"},
    "pt": {"olá", "obrigado", "obrigada", "quero", "você", "voluntário", "preciso", "bom", "dia"},
    "tl": {"salamat", "kumusta", "gusto", "tulong", "po", "ako", "magandang"},
    "id": {"saya", "terima", "kasih", "ingin", "tolong", "bisa", "selamat", "relawan"},
}
_ENGLISH = {"i", "a", "the", "to", "want", "is", "are", "you", "my", "we", "help", "please", "how", "what"}


def other_language(text: str) -> str | None:
    """A language code for a message in neither Japanese nor English ("zh", "vi", "ko"…), else None."""
    text = unicodedata.normalize("NFC", text or "")
    if _KANA.search(text):
        return None
    for code, pattern in _SCRIPTS.items():
        if pattern.search(text):
            return code
    han = _HAN.findall(text)
    if han and (set(han) & _CHINESE_ONLY or (len(han) >= 4 and len(set(han) & _CHINESE_COMMON) >= 2)):
        return "zh"
    lower = text.lower()
    if set(lower) & _VIETNAMESE:
        return "vi"
    words = set(re.findall(r"[^\W\d_]+", lower))
    hits = {code: len(words & vocabulary) for code, vocabulary in _LATIN_WORDS.items()}
    code, count = max(hits.items(), key=lambda kv: kv[1])
    return code if count >= 2 or (count == 1 and len(words) <= 2 and not words & _ENGLISH) else None


def other_language_reply(code: str) -> Reply:
    """We answer in Japanese and simple English; a person can help (chips: a person, English, easy Japanese)."""
    own = t("language.other_line", code)
    body = f"{own}\n\n{t('language.other')}" if own else t("language.other")
    chips = [
        m.Choice(t("label.human", "en"), data={"a": "human"}),
        m.Choice(t("label.english"), data={"a": "lang", "l": "en"}),
        m.Choice(t("label.easy_japanese"), data={"a": "lang", "l": "easy"}),
        back_to_menu("en"),
    ]
    # One of the fixed intent ids (analytics, `madoguchi ask`): what the bot can do for them is a person.
    return Reply([m.text(body, chips)], intent="human")
