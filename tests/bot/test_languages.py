"""English, やさしい日本語 and other languages on the main paths."""

from __future__ import annotations

import pytest

from tests.support.conversation import freeze_clock, handoffs, quick_labels, shows_main_menu, spec_errors, walk
from tests.support.driver import WebhookUser, visible


@pytest.fixture
def user(app, post_events):
    freeze_clock(app)
    return WebhookUser(app, post_events)


ENGLISH_PATHS = [
    (
        ["Volunteer", "Myself", "Anywhere in the city", "Foreign residents", "Weekdays"],
        "You said: Myself, Anywhere in the city, interested in foreign residents, free on weekdays.",
        "A coordinator can help match you",
    ),
    (
        ["Start a group/NPO", "Want to incorporate", "Legal forms"],
        "You said: Want to incorporate, Legal forms.",
        "Incorporating brings credibility",
    ),
    (
        ["Close a group", "NPO corporation", "Still considering"],
        "You said: NPO corporation, Still considering.",
        "Before deciding, it helps to talk through",
    ),
    (
        ["Partner with others", "The city / ward", "Propose a project"],
        "You said: The city / ward, Propose a project.",
        "Residents can propose partnership projects to the city",
    ),
]


@pytest.mark.parametrize(("labels", "chosen", "summary"), ENGLISH_PATHS, ids=["volunteer", "found", "close", "partner"])
def test_an_english_speaker_goes_through_each_main_path_in_english(user, labels, chosen, summary):
    assert "simple English" in visible(user.says("English"))
    text = walk(user, *labels)
    assert chosen in text and summary in text
    assert "Was this answer helpful?" in text
    assert {"Helpful", "Not helpful", "Main menu"} <= set(quick_labels(user.last))


def test_english_typed_throughout_gets_english_questions_and_a_ward_by_its_english_name(user):
    assert "Who would like to take part?" in visible(user.says("Hello, I want to volunteer"))
    assert "Where would you like to be active?" in visible(user.says("Myself"))
    assert "What are you interested in?" in visible(user.says("I live in Kohoku"))
    assert "When can you be active?" in visible(user.says("children"))
    text = visible(user.says("weekends are best"))
    assert "You said: Myself, Kohoku ward, interested in children, free on weekends." in text
    assert "no listings by day of the week" in text and "free voluntary activity consultation" in text
    assert "045-540-2246" in text and "Was this answer helpful?" in text


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("I want to start an NPO", "Where are you now?"),
        ("We want to dissolve our NPO", "About closing a group: NPO corporation."),
        ("I would like to partner with a school", "What would you like to know?"),
    ],
)
def test_english_requests_open_the_matching_path_in_english(user, message, question):
    assert question in visible(user.says(message))


def test_an_english_digression_offers_to_go_back_in_english(user):
    user.says("English")
    walk(user, "Volunteer", "Myself")
    assert "You're welcome" in visible(user.says("Thank you!"))
    assert quick_labels(user.last)[0] == "Back to volunteering"
    assert "Where would you like to be active?" in walk(user, "Back to volunteering")


def test_a_resident_who_chose_easy_japanese_goes_through_a_path_in_easy_japanese(user):
    assert "やさしい" in visible(user.says("やさしい日本語"))
    assert "だれが 活動しますか" in walk(user, "ボランティアを したい")
    assert "どこで 活動したいですか" in walk(user, "じぶん")
    assert "どんな ことに きょうみが" in visible(user.says("どこでも"))
    assert "いつ 活動 できますか" in walk(user, "ぼうさい")
    text = visible(user.says("どにち"))  # an easy label, typed
    assert "あなたの こたえは「じぶん、どこでも、ぼうさいに きょうみ、どにちが いい」ですね" in text
    assert "ぼうさいの ボランティアは" in text
    assert "この こたえは やくに たちましたか" in text
    assert "さいしょに もどる" in quick_labels(user.last)


def test_easy_japanese_path_questions_and_summaries_exist_for_every_path(user):
    user.says("やさしい日本語")
    assert "グループの ことですね" in walk(user, "グループを つくる")
    assert "あなたの こたえ" in walk(user, "NPO法人を している", "おかね あつめ")
    walk(user, "さいしょに もどる")
    assert "グループを やめる ことですね" in walk(user, "グループを やめる")
    assert "そうだんいんが いっしょに かんがえます" in walk(user, "ちょうないかい", "まよっている")


@pytest.mark.parametrize(
    ("message", "own_language"),
    [
        ("我想做志愿者，可以帮我吗？", "抱歉"),
        ("Tôi muốn làm tình nguyện viên", "Xin lỗi"),
        ("자원봉사를 하고 싶어요", "죄송합니다"),
        ("Hola, quiero ser voluntario", "Lo sentimos"),
    ],
    ids=["chinese", "vietnamese", "korean", "spanish"],
)
def test_other_languages_are_told_what_the_bot_speaks_and_offered_a_person(app, user, message, own_language):
    messages = user.says(message)
    assert spec_errors(messages) == []
    text = visible(messages)
    assert own_language in text and "simple English" in text and "かんたんな 英語" in text
    assert {"Talk to a person", "English", "やさしい日本語"} <= set(user.labels())
    user.taps("Talk to a person")
    assert [h.reason for h in handoffs(app, user.user_id)] == ["asked"]


def test_other_language_inside_a_path_is_offered_a_person_too(user):
    user.follows()
    walk(user, "ボランティアを始めたい")
    user.says("我想帮助老人")
    assert "Talk to a person" in user.labels()


@pytest.mark.parametrize("message", ["港北区", "助成金申請", "NPO法人設立", "会計相談"])
def test_japanese_written_only_in_kanji_is_not_taken_for_chinese(user, message):
    text = visible(user.says(message))
    assert "simple English" not in text and "Talk to a person" not in user.labels()


def test_an_acronym_typed_by_a_japanese_resident_does_not_switch_to_english(user):
    user.follows()
    walk(user, "解散・継続の相談")
    assert "いまの状況" in visible(user.says("NPO"))


def test_the_menu_is_one_tap_away_in_every_language(user):
    for word, back in (("English", "Main menu"), ("やさしい日本語", "さいしょに もどる"), ("日本語", "最初に戻る")):
        user.says(word)
        user.taps(user.labels()[0])
        user.taps(back)
        assert shows_main_menu(user.last)


def test_an_english_booking_says_the_steps_are_in_japanese_and_how_to_get_help(user):
    text = visible(user.says("Can I book a consultation?"))
    assert "the next steps are in Japanese" in text and "相談員と話したい" in text
