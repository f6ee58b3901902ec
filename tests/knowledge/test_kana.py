"""Messages written in hiragana are read back into the knowledge base's own words before they are searched."""

from __future__ import annotations

import pytest

from knowledge.entries import Entry
from knowledge.kana import KanaRestorer, written_in_hiragana
from knowledge.search import KnowledgeIndex

TEXTS = [
    "自治会の役員のなり手がいません",
    "NPO法人の監事は何人必要ですか",
    "センターの場所と電話番号を教えてください",
    "解散の手続きと流れ",
    "人の役に立ちたい",
    "遅滞なく届け出ます",  # 遅滞 (ちたい) must not be read inside 「たちたい」
    "今の状況",  # 今 (いま) must not be read inside 「ございました」
    "NPOとは何ですか",  # a Latin abbreviation read えぬぴーおー
    "Where is the centre? Send a text",  # English words are not what a hiragana message means
    "テキストをダウンロード",
]


@pytest.fixture(scope="module")
def restorer() -> KanaRestorer:
    return KanaRestorer(TEXTS)


@pytest.mark.parametrize(
    ("message", "restored"),
    [
        ("じちかい の やくいん の なりて が いません", "自治会 の 役員 の なり手 が いません"),
        ("かんじ って なんにん ひつよう", "監事 って 何人 必要"),
        ("せんたーのばしょはどこ", "センターの場所はどこ"),
        ("かいさん の てつづき", "解散 の 手続き"),
        ("ひとのやくにたちたい", "人の役にたちたい"),
        ("ありがとうございました", "ありがとうございました"),
        ("えぬぴーおー の かんじ", "npo の 監事"),
        ("てきすと を ください", "テキスト を ください"),
    ],
)
def test_known_readings_become_the_faqs_words(restorer, message, restored):
    assert restorer.restore(message) == restored


def test_a_message_written_with_kanji_is_left_as_it_is(restorer):
    assert restorer.restore("NPO法人のかんじは何人？") == "NPO法人のかんじは何人？"
    assert not written_in_hiragana("解散の手続きをおしえて")
    assert written_in_hiragana("かいさん の てつづき を おしえて")


def test_the_ending_right_after_kanji_is_not_read_as_a_word(restorer):
    assert restorer.restore("ひとの役にたちたい。ばしょは？") == "人の役にたちたい。場所は？"


def test_a_hiragana_question_finds_the_entry_written_in_kanji():
    entries = [
        Entry(id="f.auditor", topic="founding", question="NPO法人の監事は何人必要ですか", answer="監事は1人以上です。"),
        Entry(id="f.officers", topic="founding", question="自治会の役員のなり手がいません", answer="分担を。"),
        Entry(id="c.place", topic="centre_info", question="センターの場所を教えてください", answer="本町6丁目です。"),
    ]
    index = KnowledgeIndex(entries)
    assert index.search("じちかい の やくいん の なりて が いない")[0].entry.id == "f.officers"
    assert index.search("せんたー の ばしょ は どこ ですか")[0].entry.id == "c.place"
