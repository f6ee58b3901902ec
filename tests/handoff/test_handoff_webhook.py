"""End to end through signed webhooks and the console: ask for a person, silence, replies, close, bot again."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.handoff import service
from bot.handoff.models import Handoff
from bot.handoff.queue import push_usage
from bot.platform.conversation import lock_conversation
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import Conversation
from tests.handoff.console_support import mount_console
from tests.handoff.factories import (
    HOLIDAY_EVENING,
    SATURDAY_EVENING,
    TOKYO,
    TUESDAY_MORNING,
    Clock,
    inbound,
    make_context,
)
from tests.support.driver import WebhookUser, visible


@pytest.fixture
def clock(app):
    clock = Clock(TUESDAY_MORNING)
    app.extensions["madoguchi"].context.clock = clock
    return clock


@pytest.fixture
def console(app, monkeypatch, clock):
    return mount_console(app)


@pytest.fixture
def user(app, post_events, console):
    return WebhookUser(app, post_events)


def the_handoff(app, user: WebhookUser) -> Handoff:
    with app.extensions["madoguchi"].session_factory() as s:
        return s.scalar(select(Handoff).join(Handoff.user).where(Handoff.user.has(line_user_id=user.user_id)))


def test_a_person_is_asked_for_the_bot_keeps_quiet_the_coordinator_answers_and_closes(app, user, console):
    user.follows()
    reply = visible(user.taps("相談員と話したい"))
    assert "担当者におつなぎします。しばらくお待ちください（目安：15分ほど）" in reply
    assert "メッセージを受け付けました" in visible(user.says("NPO法人の解散で理事の意見が割れています"))
    assert user.says("よろしくお願いします") == []  # silent while waiting
    handoff = the_handoff(app, user)
    assert console.post(f"/c/{handoff.id}/take").status_code == 302
    console.post(f"/c/{handoff.id}/reply", text="担当の佐藤です。詳しく教えてください。")
    assert [token for token, _ in console.gateway.replies] != [] and console.gateway.pushes == []  # reply token
    assert user.says("理事会は来月です") == []  # silent while a person has the conversation
    with unit_of_work(app.extensions["madoguchi"].session_factory) as s:  # the token has run out meanwhile
        c = s.scalar(select(Conversation).where(Conversation.user_id == handoff.user_id))
        c.last_reply_token_at = c.last_reply_token_at.replace(year=2000)
    console.post(f"/c/{handoff.id}/reply", text="では来月の理事会の前にお話ししましょう。")
    assert len(console.gateway.pushes) == 1
    with app.extensions["madoguchi"].session_factory() as s:
        assert push_usage(s, utcnow().astimezone(TOKYO).date()).used == 1  # pushes count by when they were really sent
    console.post(f"/c/{handoff.id}/close", outcome="follow_up", notify="1")
    answer = visible(user.says("ボランティアを始めたい"))
    assert answer and "担当者" not in answer  # the bot answers again


def test_outside_hours_on_a_saturday_evening(user, clock):
    clock.now = SATURDAY_EVENING
    reply = visible(user.says("相談員と話したい"))
    assert "受付時間外" in reply and "明日 9:00 以降に担当者からご連絡します" in reply and "045-671-4732" in reply


def test_outside_hours_on_a_public_holiday(user, clock):
    clock.now = HOLIDAY_EVENING
    assert "明日 9:00 以降に担当者からご連絡します" in visible(user.says("相談員と話したい"))


def test_crisis_gets_resources_at_once_and_goes_first_in_the_queue(app, post_events, console):
    calm = WebhookUser(app, post_events)
    calm.says("相談員と話したい")
    worried = WebhookUser(app, post_events)
    messages = worried.says("もう死にたい")
    text = visible(messages)
    assert len(messages) <= 5 and "0120-279-338" in text and "すぐにお知らせしました" in text
    handoff = the_handoff(app, worried)
    assert handoff.urgent and handoff.reason == "crisis"
    page = console.page("/")
    assert page.index(f'data-handoff="{handoff.id}"') < page.index(f'data-handoff="{the_handoff(app, calm).id}"')


def test_two_misunderstood_messages_in_a_row_hand_off(app, user):
    first = visible(user.says("ぴよぴよぽんぽこ"))
    assert "わかりません" in first and "おつなぎします" not in first
    second = visible(user.says("もにゃもにゃ"))
    assert "わかりません" in second and "担当者におつなぎします" in second
    assert the_handoff(app, user).reason == "misunderstood"


def test_saying_back_to_the_bot_ends_the_wait(app, user):
    user.says("相談員と話したい")
    assert "ボットの案内に戻りました" in visible(user.taps("ボットに戻る"))
    assert the_handoff(app, user).outcome == "user_returned"


def test_menu_words_end_the_wait_but_not_a_conversation_with_a_coordinator(app, user, console):
    user.says("相談員と話したい")
    handoff = the_handoff(app, user)
    console.post(f"/c/{handoff.id}/take")
    assert user.says("メニュー") == []  # a coordinator is talking: the word is for them, the bot stays quiet
    assert the_handoff(app, user).status != "closed"
    assert "ボットの案内に戻りました" in visible(user.says("ボットに戻る"))
    assert the_handoff(app, user).outcome == "user_returned"
    user.says("相談員と話したい")
    assert "ボットに戻る" in user.labels()
    assert "ボットの案内に戻りました" in visible(user.says("最初に戻る"))  # still waiting: the menu word ends it


def test_the_mode_survives_a_restart(app, user, db_url):
    user.says("相談員と話したい")
    user.says("よろしくお願いします")
    restarted = create_app(dict(app.config))
    try:
        again = WebhookUser(restarted, _poster(restarted), user.user_id)
        assert again.says("まだですか") == []
    finally:
        restarted.extensions["madoguchi"].engine.dispose()


def _poster(app):
    from tests.support.events import body, sign

    client = app.test_client()

    def post(*events):
        payload = body(*events)
        headers = {"Content-Type": "application/json", "X-Line-Signature": sign(payload)}
        return client.post("/callback", data=payload.encode(), headers=headers)

    return post


def test_concurrent_messages_while_waiting_get_one_acknowledgement(app, user):
    user.says("相談員と話したい")
    factory = app.extensions["madoguchi"].session_factory
    replies, barrier = [], threading.Barrier(4)

    def event(i: int):
        barrier.wait()
        with unit_of_work(factory) as s:
            conversation = lock_conversation(s, user.user_id)
            replies.append(service.guard(make_context(), s, conversation, inbound(text=f"メッセージ{i}")))

    threads = [threading.Thread(target=event, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r.messages) for r in replies) == [0, 0, 0, 1]


def test_a_double_tap_opens_one_handoff(app, user):
    factory = app.extensions["madoguchi"].session_factory
    user.says("こんにちは")
    barrier = threading.Barrier(3)

    def tap():
        barrier.wait()
        with unit_of_work(factory) as s:
            service.request(make_context(), s, lock_conversation(s, user.user_id), "asked")

    threads = [threading.Thread(target=tap) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with factory() as s:
        assert len(s.scalars(select(Handoff).where(Handoff.status == "waiting")).all()) == 1
