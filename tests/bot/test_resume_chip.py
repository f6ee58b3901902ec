"""The 「「…」の続き」 chip: offered while a resident steps away from a guided path, dropped once they have moved on."""

from __future__ import annotations

import pytest

from tests.support.conversation import conversation_row, freeze_clock, quick_labels, spec_errors
from tests.support.driver import WebhookUser, visible

RESUME = "「ボランティア」の続き"
UNRELATED = ("センターの住所を教えてください", "駐車場はありますか？", "開館時間を教えてください")


@pytest.fixture
def user(app, post_events):
    freeze_clock(app)
    user = WebhookUser(app, post_events)
    user.follows()
    user.taps("ボランティアを始めたい")
    user.taps("自分が参加したい")
    assert "どの地域" in visible(user.last)
    return user


def test_after_two_unrelated_questions_the_path_is_left_and_its_chip_is_gone(app, user):
    first, second, third = UNRELATED
    user.says(first)
    assert quick_labels(user.last)[0] == RESUME
    user.says(second)
    assert quick_labels(user.last)[0] == RESUME
    user.says(third)
    assert user.last and spec_errors(user.last) == []
    assert RESUME not in user.labels()
    assert conversation_row(app, user.user_id).flow is None  # moved on: typed area names no longer answer it
    user.says("駐車場はありますか？")
    assert RESUME not in user.labels()


def test_coming_back_to_the_path_gives_the_resident_two_more_turns_away(user):
    user.says(UNRELATED[0])
    user.says(UNRELATED[1])
    user.taps(RESUME)
    assert "どの地域" in visible(user.last)
    user.taps("家の近く")
    assert "関心のある分野" in visible(user.last)  # the answers were kept
    user.says(UNRELATED[2])
    assert quick_labels(user.last)[0] == RESUME  # back on the path, so away once again, not for the third time


def test_opening_another_path_drops_the_old_path_s_chip(user):
    user.says(UNRELATED[0])
    user.taps("最初に戻る")
    user.taps("協働・連携したい")
    user.says(UNRELATED[1])
    assert RESUME not in user.labels()
