"""Leaving a path in the middle: another question, a person, the menu, crisis words; and coming back."""

from __future__ import annotations

import pytest

from tests.support.conversation import (
    conversation_row,
    freeze_clock,
    handoffs,
    quick_labels,
    shows_main_menu,
    spec_errors,
)
from tests.support.driver import WebhookUser, visible

LIFELINE = "0120-279-338"


@pytest.fixture
def user(app, post_events):
    freeze_clock(app)
    return WebhookUser(app, post_events)


def valid(messages: list[dict]) -> list[dict]:
    assert messages and spec_errors(messages) == [], spec_errors(messages)
    return messages


def in_volunteering_at_the_area_question(user: WebhookUser) -> None:
    user.follows()
    user.taps("ボランティアを始めたい")
    user.taps("自分が参加したい")
    assert "どの地域" in visible(user.last)


def test_an_unrelated_question_is_answered_and_the_path_resumes_where_it_was(user):
    in_volunteering_at_the_area_question(user)
    text = visible(valid(user.says("センターの住所を教えてください")))
    assert "役に立ちましたか" in text
    assert quick_labels(user.last)[0] == "「ボランティア」の続き"  # first, where the thumb is
    user.taps("「ボランティア」の続き")
    assert "どの地域" in visible(valid(user.last))
    user.taps("家の近く")
    assert "関心のある分野" in visible(user.last)  # the answers so far were kept


def test_a_question_that_happens_to_contain_an_answer_word_is_still_a_question(user):
    in_volunteering_at_the_area_question(user)
    text = visible(valid(user.says("センターの近くに駐車場はありますか？")))
    assert "駐車場" in text and "関心のある分野" not in text
    assert "「ボランティア」の続き" in user.labels()


def test_a_related_question_tapped_under_a_digression_answer_still_offers_the_way_back(user):
    in_volunteering_at_the_area_question(user)
    user.says("センターの場所はどこですか？")
    related = [label for label in quick_labels(user.last) if "？" in label or "…" in label]
    assert related, user.labels()
    user.taps(related[0])
    assert "「ボランティア」の続き" in quick_labels(valid(user.last))


def test_text_the_bot_cannot_read_inside_a_path_asks_the_same_question_again(user):
    in_volunteering_at_the_area_question(user)
    text = visible(valid(user.says("ぴよぴよ")))
    assert "うまく読み取れませんでした" in text and "どの地域" in text
    assert {"家の近く", "市内どこでも", "まだ決めていない", "最初に戻る"} <= set(user.labels())


def test_asking_for_a_person_in_the_middle_of_a_path_hands_off_and_the_menu_brings_the_bot_back(app, user):
    in_volunteering_at_the_area_question(user)
    text = visible(valid(user.says("相談員と話したい")))
    assert "担当者におつなぎします" in text and "ボットに戻る" in user.labels()
    assert "続き" not in text
    assert [h.reason for h in handoffs(app, user.user_id)] == ["asked"]
    assert conversation_row(app, user.user_id).flow is None
    assert user.says("自分の住んでいる区で探したいです") != []  # one acknowledgement while waiting
    assert user.says("よろしくお願いします") == []  # then the bot keeps quiet for the coordinator
    user.says("最初に戻る")
    assert shows_main_menu(valid(user.last))
    assert handoffs(app, user.user_id)[0].outcome == "user_returned"


def test_the_person_chip_under_a_path_question_records_that_it_came_from_a_path(app, user):
    in_volunteering_at_the_area_question(user)
    valid(user.taps("相談員と話したい"))
    assert [h.reason for h in handoffs(app, user.user_id)] == ["path"]


def test_other_words_for_a_person_hand_off_too(app, user):
    in_volunteering_at_the_area_question(user)
    assert "担当者におつなぎします" in visible(valid(user.says("人と直接話したいです")))
    assert len(handoffs(app, user.user_id)) == 1


@pytest.mark.parametrize("words", ["最初に戻る", "メニュー", "戻る", "Main menu", "さいしょに もどる"])
def test_menu_words_leave_the_path_from_any_question(app, user, words):
    in_volunteering_at_the_area_question(user)
    assert shows_main_menu(valid(user.says(words)))
    assert conversation_row(app, user.user_id).flow is None
    assert "関心のある分野" not in visible(user.says("家の近く"))  # no longer an answer to the old question


def test_the_menu_chip_leaves_the_path(app, user):
    in_volunteering_at_the_area_question(user)
    assert shows_main_menu(valid(user.taps("最初に戻る")))
    assert conversation_row(app, user.user_id).flow is None


def test_crisis_words_in_the_middle_of_a_path_get_resources_and_a_person_at_once(app, user):
    user.follows()
    user.taps("解散・継続の相談")
    user.taps("町内会・自治会")
    text = visible(valid(user.says("もう限界です。死にたい")))
    assert LIFELINE in text and "110" in text
    assert "続き" not in text and "いまの状況" not in text  # the script is not continued over it
    assert [(h.reason, h.urgent) for h in handoffs(app, user.user_id)] == [("crisis", True)]
    assert conversation_row(app, user.user_id).flow is None


def test_crisis_words_next_to_an_answer_word_are_not_taken_as_the_answer(app, user):
    user.follows()
    user.taps("解散・継続の相談")
    user.taps("NPO法人")
    text = visible(valid(user.says("解散を決めたけど、もう消えたい")))
    assert LIFELINE in text and "手続きの流れ" not in text


def test_help_said_alone_inside_a_path_is_taken_as_a_crisis(user):
    user.follows()
    user.taps("協働・連携したい")
    assert LIFELINE in visible(valid(user.says("助けて")))


def test_abuse_mentioned_mid_path_gets_resources(user):
    user.follows()
    user.taps("団体・NPOをつくる")
    assert "110" in visible(valid(user.says("家で殴られる")))


def test_a_neighbourhood_association_that_is_dead_after_dissolving_is_not_a_crisis(app, user):
    user.follows()
    user.taps("解散・継続の相談")
    text = visible(valid(user.says("解散して死んだような町内会です")))
    assert LIFELINE not in text and "いまの状況" in text
    assert handoffs(app, user.user_id) == []


def test_deathly_busy_gets_the_answer_and_a_gentle_note_with_the_chips_still_last(app, user):
    user.follows()
    user.taps("団体・NPOをつくる")
    user.taps("任意団体で活動中")
    messages = valid(user.says("死ぬほど忙しいけど助成金の情報がほしい"))
    text = visible(messages)
    assert "活動資金や助成金はどうやって探せばいいですか？" in text  # the answer
    assert "無理をなさらないで" in text and LIFELINE in text  # gently
    assert "役に立ちましたか" in messages[-1]["text"] and "最初に戻る" in quick_labels(messages)
    assert handoffs(app, user.user_id) == []


def test_a_new_question_about_another_path_switches_to_it(app, user):
    in_volunteering_at_the_area_question(user)
    user.says("町内会を解散したい")
    assert conversation_row(app, user.user_id).flow == "dissolution"
    assert "いまの状況" in visible(user.last)


def test_saying_again_what_the_path_is_about_keeps_the_answers_so_far(app, user):
    in_volunteering_at_the_area_question(user)
    assert "どの地域" in visible(valid(user.says("ボランティアがしたいんです")))
    assert conversation_row(app, user.user_id).slots == {"who": "self"}
