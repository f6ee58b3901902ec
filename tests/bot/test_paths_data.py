"""bot/data/paths.yaml as data: every answer exists, every choice fits LINE, every path narrows and ends."""

from __future__ import annotations

import itertools

import pytest

from bot.dialogue.flows.paths import (
    load_paths,
    looks_like_question,
    matches,
    plain,
    started_path,
    typed_option,
    typed_ward,
)
from bot.dialogue.language import other_language
from bot.line.messages import MAX_LABEL, MAX_QUICK_REPLIES, utf16_len
from knowledge.entries import load_content

PATHS = load_paths()
ENTRIES = {e.id: e for e in load_content()}
LANGS = ("ja", "easy", "en")


def endings(path) -> list[dict]:
    """Every combination of answers a resident can give on a path (only the steps that apply are asked)."""
    found: list[dict] = []

    def walk(slots: dict) -> None:
        step = next((s for s in path.steps if s.id not in slots and matches(s.only_if, slots)), None)
        if step is None:
            found.append(slots)
            return
        values = [o.value for o in step.offered(slots)] + (["ward"] if step.ward else [])
        for value in values:
            extra = {"ward_name": next(iter(path.wards))} if value == "ward" else {}
            walk({**slots, **extra, step.id: value})

    walk({})
    return found


def test_the_four_paths_are_there():
    assert set(PATHS) == {"volunteer", "founding", "dissolution", "partnering"}


@pytest.mark.parametrize("path", PATHS.values(), ids=list(PATHS))
def test_every_answer_and_next_step_is_a_shipped_faq_entry(path):
    ids = {o.faq for o in path.outcomes} | {r for o in path.outcomes for r in o.related}
    ids |= {w["faq"] for w in path.wards.values()}
    assert ids - set(ENTRIES) == set()


@pytest.mark.parametrize("path", PATHS.values(), ids=list(PATHS))
def test_every_combination_of_answers_ends_with_an_outcome(path):
    for slots in endings(path):
        assert any(matches(o.when, slots) for o in path.outcomes), slots


@pytest.mark.parametrize("path", PATHS.values(), ids=list(PATHS))
def test_every_path_narrows_to_several_different_answers(path):
    reached = {next(o for o in path.outcomes if matches(o.when, slots)).faq for slots in endings(path)}
    assert len(reached) >= 4, reached


@pytest.mark.parametrize("path", PATHS.values(), ids=list(PATHS))
def test_every_outcome_is_reachable(path):
    used = {id(next(o for o in path.outcomes if matches(o.when, slots))) for slots in endings(path)}
    unreachable = [o.faq for o in path.outcomes if id(o) not in used]
    assert unreachable in ([], ["volunteer.starter_course"]), unreachable  # two rules share that answer


@pytest.mark.parametrize("path", PATHS.values(), ids=list(PATHS))
def test_labels_fit_a_quick_reply_unclipped_in_every_language_and_leave_room_for_a_person_and_the_menu(path):
    for step in path.steps:
        assert len(step.options) + 3 <= MAX_QUICK_REPLIES  # + a person, the menu, and 「…の続き」
        for option, lang in itertools.product(step.options, LANGS):
            assert 1 <= utf16_len(option.label(lang)) <= MAX_LABEL, option.labels


@pytest.mark.parametrize("path", PATHS.values(), ids=list(PATHS))
def test_questions_and_summaries_exist_in_easy_japanese_and_english(path):
    assert all(path.title.get(lang) for lang in LANGS)
    assert all(step.ask.get(lang) for step in path.steps for lang in LANGS)
    assert all(outcome.en and outcome.easy for outcome in path.outcomes)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("ボランティアをしたいです", "volunteer"),
        ("ボランティアしたいんですけど", "volunteer"),
        ("NPOを作りたいです", "founding"),
        ("町内会を解散したい", "dissolution"),
        ("NPO法人を解散したいのですが", "dissolution"),
        ("企業と協働したい", "partnering"),
        ("I want to volunteer", "volunteer"),
        ("ボランティア保険について教えてください", None),
        ("解散のとき、債権者への公告はどうしますか？", None),
    ],
)
def test_typed_phrases_that_open_a_path(text, path):
    assert started_path(text) == path


@pytest.mark.parametrize(
    ("path", "step", "text", "value"),
    [
        ("volunteer", "who", "私です", "self"),
        ("volunteer", "who", "うちの会社の社員で", "company"),
        ("volunteer", "who", "Tell me about company volunteering", "company"),
        ("volunteer", "area", "近所がいいです", "near"),
        ("volunteer", "when", "週末なら", "weekends"),
        ("founding", "stage", "NPO法人を運営してます", "running"),
        ("founding", "stage", "NPO法人にしたい", "incorporate"),
        ("founding", "need", "お金のこと", "funding"),
        ("dissolution", "kind", "NPOです", "npo"),
        ("dissolution", "stage", "まだ決めていません", "considering"),
        ("dissolution", "stage", "解散を決めました", "decided"),
        ("partnering", "with", "区役所と", "gov"),
        ("partnering", "need", "つないでほしい", "matching"),
    ],
)
def test_typed_answers_to_a_step(path, step, text, value):
    p = PATHS[path]
    slots = {"with": "gov"} if path == "partnering" else {}
    option = typed_option(p.step(step), text, slots)
    assert option is not None and option.value == value


@pytest.mark.parametrize("text", ["Homepage", "sometimes", "港北区の天気", "アイデア"])
def test_english_words_match_whole_words_only(text):
    step = PATHS["volunteer"].step("who")
    assert typed_option(step, text, {}) is None


@pytest.mark.parametrize(
    ("text", "ward"),
    [
        ("港北区です", "港北区"),
        ("青葉台の近く", "青葉区"),
        ("Kohoku", "港北区"),
        ("tsuzuki-ku", "都筑区"),
        ("神奈川県", None),
    ],
)
def test_typed_wards(text, ward):
    assert typed_ward(PATHS["volunteer"], text) == ward


def test_a_whole_question_is_told_apart_from_a_short_answer():
    assert looks_like_question("センターの近くに駐車場はありますか？")
    assert looks_like_question("助成金の申請はどうすればいいの")
    assert not looks_like_question("家の近くがいいです")
    assert not looks_like_question("近く？")


def test_polite_endings_are_dropped_for_exact_matches():
    assert plain("町内会です") == plain("町内会")
    assert plain("です") == plain("です")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("我想做志愿者", "zh"),
        ("請問這裡可以諮詢嗎", "zh"),
        ("Tôi muốn làm tình nguyện viên", "vi"),
        ("자원봉사", "ko"),
        ("Obrigado, quero ajuda", "pt"),
        ("Salamat po", "tl"),
        ("สวัสดี", "th"),
        ("港北区", None),
        ("助成金申請", None),
        ("我々の団体", None),
        ("I want to volunteer", None),
        ("Can you help me please", None),
        ("NPO", None),
        ("", None),
    ],
)
def test_other_languages_are_recognised_and_japanese_or_english_are_not(text, code):
    assert other_language(text) == code


def unused_answers(path, slots: dict) -> list[str]:
    """Answers in `slots` that shape nothing in the result: no outcome condition, no later step, no note or entry."""
    outcome = next(o for o in path.outcomes if matches(o.when, slots))
    unused = []
    for step in path.steps:
        if step.id not in slots:
            continue
        option = step.option(slots[step.id])
        picks = step.id in outcome.when or (step.ward and slots[step.id] == "ward" and outcome.by_ward)
        gates = any(step.id in later.only_if for later in path.steps)
        if not (picks or gates or (option is not None and (option.faq or option.note))):
            unused.append(f"{step.id}={slots[step.id]}")
    return unused


@pytest.mark.parametrize("path", PATHS.values(), ids=list(PATHS))
def test_every_answer_a_path_asks_for_shapes_its_result(path):
    for slots in endings(path):
        assert unused_answers(path, slots) == [], slots


@pytest.mark.parametrize("path", PATHS.values(), ids=list(PATHS))
def test_the_entries_and_notes_an_answer_adds_are_shipped_and_in_every_language(path):
    for step in path.steps:
        for option in step.options:
            assert option.faq is None or option.faq in ENTRIES, option.faq
            assert not option.note or set(option.note) == set(LANGS), option.value
            assert not option.said or set(option.said) == set(LANGS), option.value
