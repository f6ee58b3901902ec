"""Confident answers that missed reach staff's unanswered inbox: a card rated 「役に立たなかった」, or the same
question asked again right after the card (a rephrase), each with the answer that was given and its register."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.dialogue.misses import is_rephrase
from bot.platform import db
from bot.platform.models import Message
from knowledge.models import UnansweredQuestion
from tests.support.conversation import freeze_clock, walk
from tests.support.driver import WebhookUser, visible

QUESTION = "NPO法人の理事って何人以上いればいいですか"


@pytest.fixture
def clock(app):
    clock = freeze_clock(app)
    db.set_clock(clock)  # the transcript's times and the bot's clock are the same clock
    return clock


@pytest.fixture
def user(app, post_events, clock):
    return WebhookUser(app, post_events)


def inbox(app) -> list[UnansweredQuestion]:
    with app.extensions["madoguchi"].session_factory() as session:
        return list(session.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id)))


def answered(app, text: str) -> str:
    """The entry the bot answered `text` with, from the transcript."""
    with app.extensions["madoguchi"].session_factory() as session:
        row = session.scalars(select(Message).where(Message.text == text).order_by(Message.id.desc())).first()
        assert row is not None and row.faq_id, text
        return row.faq_id


def missed(app, reason: str) -> list[UnansweredQuestion]:
    return [q for q in inbox(app) if q.reason == reason]


def test_a_card_rated_not_helpful_lands_in_the_inbox_with_the_question_and_the_answer_given(app, user):
    assert "理事3人以上" in visible(user.says(QUESTION))
    faq_id = answered(app, QUESTION)
    assert missed(app, "unhelpful") == []
    assert "相談員" in visible(user.taps("役に立たなかった"))
    [row] = missed(app, "unhelpful")
    assert (row.text, row.answer_faq_id, row.answer_register, row.status) == (QUESTION, faq_id, "ja", "open")
    assert row.best_faq_id != faq_id  # the inbox must not suggest the entry that missed


def test_a_helpful_rating_does_not_reach_the_inbox(app, user):
    user.says(QUESTION)
    user.taps("役に立った")
    assert missed(app, "unhelpful") == []


def test_the_register_the_answer_was_shown_in_is_kept(app, user):
    user.says("やさしい日本語")
    user.says("ボランティア保険は どこで 入れますか")
    user.taps("やくに たたなかった")
    [row] = missed(app, "unhelpful")
    assert row.answer_register == "easy" and row.text == "ボランティア保険は どこで 入れますか"


def test_a_path_result_rated_not_helpful_keeps_the_answers_the_resident_gave(app, user):
    user.follows()
    walk(user, "ボランティアを始めたい", "自分が参加したい", "家の近く", "高齢者・福祉", "平日")
    user.taps("役に立たなかった")
    [row] = missed(app, "unhelpful")
    assert row.text.startswith("自分が参加したい、家の近く、高齢者・福祉に関心、平日希望")
    assert row.answer_faq_id == "volunteer.shakyo"


def test_saying_the_answer_missed_right_after_it_lands_in_the_inbox_with_the_rephrase(app, user, clock):
    user.says(QUESTION)
    faq_id = answered(app, QUESTION)
    clock.advance(seconds=40)
    user.says("そうじゃなくて、理事の任期は何年ですか")
    [row] = missed(app, "rephrased")
    assert (row.text, row.answer_faq_id, row.answer_register) == (QUESTION, faq_id, "ja")
    assert row.rephrase == "そうじゃなくて、理事の任期は何年ですか"


def test_the_same_question_sent_again_lands_in_the_inbox(app, user, clock):
    user.says("センターに駐車場はありますか")
    clock.advance(minutes=1)
    user.says("センターに駐車場はありますか？")
    [row] = missed(app, "rephrased")
    assert row.text == "センターに駐車場はありますか"
    assert row.answer_faq_id == answered(app, "センターに駐車場はありますか")


@pytest.mark.parametrize(
    "after", ["ありがとうございます！", "わかりました、助かりました", "最初に戻る", "相談員と話したい"]
)
def test_thanks_and_small_talk_after_an_answer_are_not_rephrases(app, user, clock, after):
    user.says(QUESTION)
    clock.advance(seconds=30)
    user.says(after)
    assert missed(app, "rephrased") == []


def test_a_new_topic_after_an_answer_is_not_a_rephrase(app, user, clock):
    user.says(QUESTION)
    clock.advance(seconds=30)
    user.says("別の質問ですが、センターは何時まで開いていますか")
    user.says("会議室は予約できますか")
    assert missed(app, "rephrased") == []


def test_asking_again_much_later_is_not_a_rephrase(app, user, clock):
    user.says("センターに駐車場はありますか")
    clock.advance(minutes=10)
    user.says("センターに駐車場はありますか")
    assert missed(app, "rephrased") == []


@pytest.mark.parametrize(
    ("question", "text", "same_card", "confident", "expected"),
    [
        ("駐車場はありますか", "違います。車で行けるか知りたいです", False, True, True),  # says it missed
        ("駐車場はありますか", "車で行ってもいいですか", True, True, True),  # the index reads it as the same
        ("センターは何時まで開いていますか", "センターは何時まで開いてますか？", False, True, True),  # near resend
        ("ボランティア保険って入ったほうがいい？", "ボランティア活動の保険について知りたいです", False, False, True),
        ("NPO法人の設立に何人必要ですか", "NPO法人の設立に必要な書類は？", False, True, False),  # a follow-up
        ("相談は無料ですか", "予約はどうやってしますか", False, True, False),
        ("駐車場はありますか", "違う質問ですが、会議室は借りられますか", False, True, False),
        ("駐車場はありますか", "もう一つ聞きたいのですが、駐輪場は？", False, False, False),
    ],
)
def test_the_rephrase_rule(question, text, same_card, confident, expected):
    now = "centre.parking" if same_card else "other.entry"
    assert is_rephrase(question, text, "centre.parking", now, confident) is expected
