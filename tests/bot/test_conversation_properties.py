"""Random conversations: taps on anything the bot has sent (stale ones too) and resident-like texts.

Whatever happens, the webhook handles every event (no apology for a crash), everything the bot sends is valid
for LINE, and from every state 「最初に戻る」 (typed or tapped) brings the main menu back in one step.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialogue.texts import t
from tests.support.conversation import freeze_clock, shows_main_menu, spec_errors
from tests.support.driver import WebhookUser, actions, visible

RESIDENT_TEXTS = [
    "ボランティアを始めたい",
    "自分です",
    "港北区です",
    "子どもに関わりたい",
    "土日なら",
    "NPO法人をつくりたいです",
    "まだアイデアの段階です",
    "助成金について知りたい",
    "町内会を解散したい",
    "まだ迷ってます",
    "解散を決めました",
    "企業と協働したい",
    "相手を探したい",
    "センターは何時まで開いてますか？",
    "駐車場はありますか",
    "予約したいです",
    "予約をキャンセルしたい",
    "相談員と話したい",
    "人と話したい",
    "ありがとうございました",
    "死ぬほど忙しい",
    "解散して死んだような町内会",
    "もう限界です",
    "ボットに戻る",
    "やさしい日本語",
    "English",
    "日本語",
    "メニュー",
    "はい",
    "いいえ",
    "12/3",
    "スキップ",
]
OTHER_TEXTS = [
    "I want to volunteer",
    "How can I start an NPO?",
    "Main menu",
    "我想做志愿者",
    "Tôi muốn làm tình nguyện viên",
    "😀",
    "👍👍👍",
    " ",
    "　",
    "？",
    "...",
    "あ" * 800,
    "<script>alert(1)</script>",
]
TEXTS = st.one_of(st.sampled_from(RESIDENT_TEXTS), st.sampled_from(OTHER_TEXTS), st.text(min_size=1, max_size=25))
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("tap"), st.integers(min_value=0, max_value=10_000)),
        st.tuples(st.just("tap_recent"), st.integers(min_value=0, max_value=10_000)),
        st.tuples(st.just("say"), TEXTS),
        st.tuples(st.just("menu"), st.sampled_from(["最初に戻る", "tap"])),
    ),
    min_size=1,
    max_size=9,
)
SORRY = t("error.sorry")


def tappable(messages: list[dict]) -> list[dict]:
    """Actions the test driver can perform like LINE would (date pickers and links are left out)."""
    return [a for a in actions(messages) if a.get("type") in ("postback", "message")]


def check_reply(messages: list[dict], step) -> None:
    assert SORRY not in visible(messages), step
    if messages:  # silence is allowed while a person has the conversation
        assert spec_errors(messages) == [], (step, spec_errors(messages))


def back_to_menu(user: WebhookUser, how: str) -> list[dict]:
    menu_chips = [a for a in tappable(user.last) if a.get("data") == "a=menu"]
    if how == "tap" and menu_chips:
        return user.tap(menu_chips[0])
    return user.says("最初に戻る")


@pytest.fixture
def fresh_app(app, post_events):
    freeze_clock(app)
    return app, post_events


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_random_taps_and_texts_never_break_the_bot_and_the_menu_is_always_one_step_away(fresh_app, caplog, steps):
    app, post_events = fresh_app
    caplog.clear()
    caplog.set_level(logging.ERROR, logger="bot")
    user = WebhookUser(app, post_events)
    seen = tappable(user.follows())
    for step in steps:
        kind, arg = step
        if kind in ("tap", "tap_recent"):
            pool = tappable(user.last) if kind == "tap_recent" else seen
            if not pool:
                continue
            messages = user.tap(pool[arg % len(pool)])
        elif kind == "say":
            messages = user.says(arg)
        else:
            messages = back_to_menu(user, arg)
            assert shows_main_menu(messages), (step, visible(messages))
        check_reply(messages, step)
        seen += tappable(messages)
    final = user.says("最初に戻る")
    assert shows_main_menu(final), visible(final)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
