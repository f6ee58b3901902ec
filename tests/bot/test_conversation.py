"""Conversations through the webhook: menus, paths, digressions, crisis, language, typing instead of tapping."""

from __future__ import annotations

import pytest

from tests.support.driver import WebhookUser, visible


@pytest.fixture
def user(app, post_events):
    return WebhookUser(app, post_events)


def test_follow_greets_with_the_centre_name_data_note_and_main_paths(user):
    text = visible(user.follows())
    assert "横浜市市民協働推進センター" in text and "記録" in text
    assert {"ボランティアを始めたい", "団体・NPOをつくる", "相談員と話したい"} <= set(user.labels())
    assert "/privacy" in text


def test_the_privacy_notice_given_on_follow_is_recorded(app, user):
    from sqlalchemy import select

    from bot.platform.models import LineUser

    user.follows()
    with app.extensions["madoguchi"].session_factory() as session:
        profile = session.scalar(select(LineUser).where(LineUser.line_user_id == user.user_id))
        assert profile.consent_at is not None and profile.followed_at is not None


def test_a_sticker_or_a_photo_gets_a_kind_text_only_note_and_the_menu(user):
    from tests.support.events import event

    sticker = {"type": "sticker", "id": "1", "packageId": "1", "stickerId": "1", "stickerResourceType": "STATIC"}
    photo = {"type": "image", "id": "2", "contentProvider": {"type": "line"}}
    for message in (sticker, photo):
        replies = user._send(event("message", user_id=user.user_id, message=message))
        assert "文字のメッセージだけを読むことができます" in visible(replies)
        assert {"ボランティアを始めたい", "相談員と話したい"} <= set(user.labels())


def test_menu_word_returns_to_the_menu_from_inside_a_path(user):
    user.follows()
    user.taps("ボランティアを始めたい")
    assert "どなた" in visible(user.last)
    user.says("最初に戻る")
    assert "ボランティアを始めたい" in user.labels()


def test_a_user_who_types_instead_of_tapping_gets_through_a_path(user):
    user.follows()
    user.taps("解散・継続の相談")
    user.says("町内会です")
    reply = visible(user.says("まだ迷ってます"))
    assert "役に立ちましたか" in reply


def test_a_digression_is_answered_and_offers_to_resume(user):
    user.follows()
    user.taps("協働・連携したい")
    user.says("センターは何時まで開いてますか")
    resume = [label for label in user.labels() if "続き" in label]
    assert resume, user.labels()
    user.taps(resume[0])
    assert "どなたとの協働" in visible(user.last)


def test_crisis_gets_resources_at_once_even_inside_a_path(user):
    user.follows()
    user.taps("団体・NPOをつくる")
    text = visible(user.says("もう死にたい"))
    assert "0120-279-338" in text and "110" in text


def test_english_input_gets_english(user):
    text = visible(user.says("Hello, I want to volunteer"))
    assert any(word in text for word in ("Who would like", "Volunteer", "volunteer"))


def test_easy_japanese_can_be_chosen(user):
    user.says("やさしい日本語")
    assert "やさしい" in visible(user.last)
    user.taps("ボランティアを したい")
    assert "だれが" in visible(user.last)


@pytest.mark.parametrize(("word", "question"), [("解散", "どの団体"), ("NPO", "どの段階")])
def test_a_bare_topic_word_is_narrowed_down_not_answered_with_a_guess(user, word, question):
    reply = user.says(word)
    assert question in visible(reply)
    assert not any(m.get("type") == "flex" for m in reply)  # no answer card picked among look-alikes


def test_goodbye_gets_a_goodbye_not_a_hello(user):
    text = visible(user.says("さようなら"))
    assert "またいつでも" in text and "こんにちは" not in text


def test_what_is_an_npo_is_answered_with_the_law_as_source(user):
    text = visible(user.says("NPOとはなんですか？"))
    assert "Non-Profit Organization" in text and "特定非営利活動促進法" in text
