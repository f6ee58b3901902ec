"""Retrieval on short, messy resident queries; validity dates are respected."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.entries import Entry, entry_from_dict
from knowledge.search import Glossary, KnowledgeIndex
from knowledge.text import normalize

GLOSSARY = Glossary([["解散", "たたむ", "たたみたい", "やめる"], ["ボランティア", "ぼら"], ["npo", "えぬぴーおー"]])


def entry(id_: str, question: str, *paraphrases: str, **kwargs) -> Entry:
    return Entry(
        id=id_, topic=kwargs.pop("topic", "founding"), question=question, answer="…", paraphrases=paraphrases, **kwargs
    )


@pytest.fixture
def index():
    return KnowledgeIndex(
        [
            entry(
                "v.start",
                "ボランティアを始めたいです",
                "ボランティアしたい",
                "何か手伝いたい",
                "ボランティア 何から",
                topic="volunteer",
            ),
            entry(
                "d.npo",
                "NPO法人を解散するにはどうすればいいですか",
                "NPO 解散 手続き",
                "法人をたたみたい",
                "解散したい",
            ),
            entry("f.members", "NPO法人をつくるには何人必要ですか", "NPO 何人", "設立 人数", "社員 何人いる"),
        ],
        GLOSSARY,
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ぼらんてぃあ始めたい", "v.start"),
        ("ボラ始めたい", "v.start"),
        ("ＮＰＯ　たたみたい", "d.npo"),
        ("解散 どうする", "d.npo"),
        ("えぬぴーおー 何人いるの", "f.members"),
    ],
)
def test_short_messy_queries_find_the_right_entry(index, text, expected):
    assert index.search(text, date(2026, 11, 22))[0].entry.id == expected


def ngram_ranked(index: KnowledgeIndex, query: str) -> list[tuple[str, float]]:
    """The character n-gram retriever's own ranking (one of the fused retrievers), best first."""
    _norm, scores = index.ngram.scores(query)
    return sorted(((e.id, float(s)) for e, s in zip(index.entries, scores, strict=True) if s > 0), key=lambda p: -p[1])


def test_unrelated_text_scores_low_in_the_ngram_retriever(index):
    ranked = ngram_ranked(index, "粗大ごみの出し方を教えて")
    assert not ranked or ranked[0][1] < 0.35


def test_an_expired_entry_is_never_returned():
    old = entry(
        "c.day", "解散の相談日はいつ", "解散 相談日", "相談日 いつ", "解散の日程", valid_until=date(2026, 3, 26)
    )
    index = KnowledgeIndex([old], GLOSSARY)
    assert index.search("解散の相談日", date(2026, 3, 26))[0].entry.id == "c.day"
    assert index.search("解散の相談日", date(2026, 3, 27)) == []


def test_an_entry_before_its_start_date_is_not_returned():
    later = entry("c.new", "新しい講座", "講座 新しい", "新講座", "講座の案内", valid_from=date(2027, 4, 1))
    assert KnowledgeIndex([later], GLOSSARY).search("新しい講座", date(2026, 11, 22)) == []


def test_normalisation_folds_width_kana_case_and_symbols():
    assert normalize("ＮＰＯ　ボランティア！") == normalize("npo ぼらんてぃあ")
    assert normalize("センター、何時まで？😊") == "せんた何時まで"


def test_malformed_content_is_rejected_with_a_clear_error():
    with pytest.raises(ValueError, match="unknown booking type"):
        entry_from_dict(
            {"id": "x.y", "topic": "founding", "question": "q", "answer": "a", "follow_up": {"booking": "tomorrow"}}
        )
    with pytest.raises(ValueError, match="missing answer"):
        entry_from_dict({"id": "x.z", "topic": "founding", "question": "q"})


def test_english_is_searched_through_the_glossary_english_words_by_the_ngram_retriever():
    glossary = Glossary([["ボランティア", "volunteer"], ["解散", "dissolve"], ["npo"]])
    index = KnowledgeIndex(
        [
            entry("v.start", "ボランティアを始めたいです", "ボランティアしたい", topic="volunteer"),
            entry("d.npo", "NPO法人を解散するにはどうすればいいですか", "NPO 解散 手続き"),
        ],
        glossary,
    )
    assert ngram_ranked(index, "How do we dissolve our NPO?")[0][0] == "d.npo"
    assert ngram_ranked(index, "I'd like to volunteer")[0][0] == "v.start"
    assert ngram_ranked(index, "What's the weather like?") == []


def test_english_is_also_searched_through_the_entries_english_wordings_by_the_ngram_retriever():
    index = KnowledgeIndex(
        [
            entry("g.join", "自治会は義務？", "must i join jichikai", topic="founding"),
            entry("g.leave", "自治会を途中でやめることはできますか", "can i quit jichikai", topic="founding"),
        ],
        Glossary([["自治会", "jichikai"]]),
    )
    assert ngram_ranked(index, "how to quit the jichikai?")[0][0] == "g.leave"  # not through 自治会 alone


def test_katakana_words_count_as_content_and_endings_do_not():
    index = KnowledgeIndex(
        [
            entry("c.mail", "メルマガはありますか", "メルマガ 登録", topic="centre_info"),
            entry("c.reg", "団体登録とは何ですか", "登録すると何ができる", topic="centre_info"),
        ],
        GLOSSARY,
    )
    assert ngram_ranked(index, "めるまがに登録するには")[0][0] == "c.mail"


def test_a_kanji_shared_by_two_forms_of_a_verb_matches():
    index = KnowledgeIndex(
        [
            entry("f.labour", "スタッフを雇いたい", "雇用の手続き", "給料と社会保険"),
            entry("r.city", "区役所の手続きを知りたい", "住民票がほしい", topic="referral"),
        ],
        GLOSSARY,
    )
    assert index.search("人を雇うときの手続き", date(2026, 11, 22))[0].entry.id == "f.labour"


def test_an_english_message_is_matched_to_wordings_as_written_not_through_its_glossary_words():
    glossary = Glossary([["ボランティア", "volunteer"]])
    index = KnowledgeIndex(
        [
            entry("v.start", "ボランティアを始めたいです", "ボランティア", topic="volunteer"),
            entry("v.premium", "ボランティア保険はいくら？", "volunteer insurance how much", topic="volunteer"),
        ],
        glossary,
    )
    by_id = {m.entry.id: m for m in index.search("volunteer hoken price per year", None, k=2)}
    assert by_id["v.start"].fuzzy < 0.5  # its bare 「ボランティア」 is not what the message says
    own = index.search("Volunteer insurance, how much?", None, k=1)[0]
    assert own.entry.id == "v.premium" and own.fuzzy == 1.0
