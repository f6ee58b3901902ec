"""What residents actually type: answers first, crisis in every wording we know of, small talk, and the traps."""

from __future__ import annotations

import pytest

from tests.support.conversation import freeze_clock, quick_labels
from tests.support.driver import WebhookUser, visible


@pytest.fixture
def user(app, post_events):
    freeze_clock(app)
    return WebhookUser(app, post_events)


@pytest.mark.parametrize(
    ("message", "fact"),
    [
        ("センターの住所を教えてください", "本町6丁目50-10"),
        ("NPO法人って税金かかるんですか", "収益事業"),
        ("npo法人 理事 何人", "理事3人以上"),
        ("ボランティア保険はどこで入れますか", "社会福祉協議会"),
        ("事業報告書はいつまでに出せばいいですか", "3か月以内"),
    ],
)
def test_a_specific_question_is_answered_in_the_first_reply(user, message, fact):
    text = visible(user.says(message))
    assert fact in text and "役に立ちましたか" in text


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("いま夫が包丁持って暴れてる", "110"),
        ("Someone is hitting me right now, please help", "110"),
        ("ごはん もらえない。おやに たたかれる", "189"),
        ("おっと が わたし を たたきます。こわい", "#8008"),
        ("町内会長を押し付けられて毎晩眠れない。いっそ電車に飛び込めば楽になるのかな", "0120-279-338"),
        ("I don't want to be alive anymore", "0120-279-338"),
    ],
)
def test_danger_and_despair_in_any_wording_get_crisis_lines_at_once(user, message, number):
    text = visible(user.says(message))
    assert number in text


def test_a_threat_happening_now_puts_the_police_first(user):
    text = visible(user.says("知らない男が包丁を持って家の前にいる"))
    assert text.index("110") < text.index("0120-279-338")


@pytest.mark.parametrize("message", ["衆議院の解散のニュース見た？", "ツアーは現地解散ですか", "死ぬほど暑い"])
def test_words_that_only_look_like_a_crisis_are_not_one(user, message):
    assert "0570-783-556" not in visible(user.says(message))  # いのちの電話: only for real despair


def test_a_crisis_written_in_japanese_after_english_is_answered_in_japanese(user):
    user.says("Hello, where is the centre?")
    text = visible(user.says("もう生きていたくない"))
    assert "0120-279-338" in text and "Thank you for telling us" not in text


def test_someone_asked_by_staff_is_not_asking_for_staff(user):
    text = visible(user.says("スタッフさんにNPOの会計を手伝ってと頼まれました。何から始めればいい？"))
    assert "担当者におつなぎします" not in text and "NPO法人の会計" in text  # the accounting entry, offered or answered


def test_whoever_in_a_question_is_not_shouting(user):
    assert "0120-279-338" not in visible(user.says("夫に反対されています。どなたかアドバイスを"))


SMALL_TALK = ["お世話になっております", "了解です", "おやすみなさい", "ありがとうございました！", "👍", "Thanks"]


@pytest.mark.parametrize("message", SMALL_TALK)
def test_small_talk_gets_a_short_reply_never_i_dont_know(user, message):
    text = visible(user.says(message))
    assert "わかりません" not in text and "お答えできません" not in text


def test_an_open_wish_opens_the_path_and_a_question_gets_the_answer_with_the_path_one_tap_away(user):
    assert "どなたの活動" in visible(user.says("ぼらんてぃあ始めたい"))
    text = visible(user.says("ボランティア保険はどこで入れますか"))
    assert "社会福祉協議会" in text and "ボランティアを始めたい" in quick_labels(user.last)
