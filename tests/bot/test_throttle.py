"""Flood throttling: past the limit one polite notice, then silence for the window; nothing lost, others unaffected."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from bot.app import create_app
from bot.dialogue import throttle
from bot.dialogue.texts import t
from bot.handoff.models import Handoff
from bot.platform import db
from bot.platform.models import Conversation, LineUser, Message, OutboxItem, Setting
from tests.conftest import offline_config
from tests.support.admin import create_user, post_form
from tests.support.events import body, event, sign, text_event

FLOODER = "U" + "f" * 32
NEIGHBOUR = "U" + "9" * 32
NOTICE = t("throttle.notice")


def factory(app):
    return app.extensions["madoguchi"].session_factory


def transcript(app, line_user_id: str, direction: str) -> list[str]:
    """A resident's transcript texts in one direction ("in": theirs, "out": the bot's), oldest first."""
    with factory(app)() as session:
        rows = session.scalars(
            select(Message.text)
            .join(LineUser, LineUser.id == Message.user_id)
            .where(LineUser.line_user_id == line_user_id, Message.direction == direction)
            .order_by(Message.id)
        )
        return list(rows)


def answers(app, line_user_id: str) -> list[str]:
    """The texts the bot queued for a resident, oldest first."""
    return transcript(app, line_user_id, "out")


def received(app, line_user_id: str) -> list[str]:
    """The resident's own transcript lines, oldest first."""
    return transcript(app, line_user_id, "in")


def set_setting(app, key: str, value) -> None:
    with factory(app)() as session:
        session.merge(Setting(key=key, value=value))
        session.commit()
    throttle.forget_settings()  # as the admin's settings page does


def test_thirty_messages_get_twenty_answers_one_notice_then_silence(app, post_events):
    for i in range(30):
        assert post_events(text_event(f"こんにちは {i}", user_id=FLOODER)).status_code == 200
        if i == 10:
            post_events(text_event("ボランティアを始めたい", user_id=NEIGHBOUR))
    sent = answers(app, FLOODER)
    assert sent.count(NOTICE) == 1
    assert sent[-1] == NOTICE  # the notice was the last thing said: silence after it
    with factory(app)() as session:
        notice = session.scalars(select(OutboxItem).order_by(OutboxItem.id.desc())).first()
    assert notice.reply_token is not None  # sent with the 21st message's (free) reply token
    assert received(app, FLOODER) == [f"こんにちは {i}" for i in range(30)]  # nothing lost
    assert NOTICE not in answers(app, NEIGHBOUR) and answers(app, NEIGHBOUR)
    post_events(text_event("NPOをつくりたい", user_id=NEIGHBOUR))  # others are answered during the flood
    assert len(answers(app, NEIGHBOUR)) >= 2 and NOTICE not in answers(app, NEIGHBOUR)


def test_the_resident_is_answered_again_once_the_window_has_passed(app, post_events):
    for i in range(22):
        post_events(text_event(f"こんにちは {i}", user_id=FLOODER))
    before = len(answers(app, FLOODER))
    post_events(text_event("まだですか", user_id=FLOODER))
    assert len(answers(app, FLOODER)) == before  # silent
    later = datetime.now(UTC) + timedelta(seconds=61)
    db.set_clock(lambda: later)  # a minute later
    post_events(text_event("ボランティアを始めたい", user_id=FLOODER))
    assert len(answers(app, FLOODER)) > before and answers(app, FLOODER)[-1] != NOTICE


def test_the_count_is_carried_on_the_conversation_row_and_kept_to_the_limit(app, post_events):
    set_setting(app, throttle.MAX_MESSAGES_KEY, 3)
    for i in range(6):
        post_events(text_event(f"こんにちは {i}", user_id=FLOODER))
    with factory(app)() as session:
        conversation = session.scalar(select(Conversation).join(LineUser).where(LineUser.line_user_id == FLOODER))
        assert len(conversation.throttle_times) == 3  # no more than the limit is needed to tell it was passed
        assert conversation.throttle_notice_at is not None
        session.execute(delete(Message))  # the transcript is not what counts (no query of it per event)
        session.commit()
    post_events(text_event("まだですか", user_id=FLOODER))
    assert answers(app, FLOODER) == []  # still silent: the row remembers the flood


def test_the_limit_and_window_are_settings_and_zero_turns_it_off(app, post_events):
    set_setting(app, throttle.MAX_MESSAGES_KEY, 3)
    set_setting(app, throttle.WINDOW_SECONDS_KEY, 600)
    for i in range(5):
        post_events(text_event(f"こんにちは {i}", user_id=FLOODER))
    sent = answers(app, FLOODER)
    assert sent.count(NOTICE) == 1 and sent[-1] == NOTICE
    set_setting(app, throttle.MAX_MESSAGES_KEY, 0)
    post_events(text_event("ボランティアを始めたい", user_id=FLOODER))
    assert answers(app, FLOODER)[-1] != NOTICE and len(answers(app, FLOODER)) > len(sent)


@pytest.mark.parametrize("value", ["twenty", -5, None, [1]])
def test_bad_stored_values_fall_back_to_the_defaults(app, value):
    set_setting(app, throttle.MAX_MESSAGES_KEY, value)
    set_setting(app, throttle.WINDOW_SECONDS_KEY, 0)
    with factory(app)() as session:
        assert throttle.throttle_settings(session) == throttle.ThrottleSettings(20, 60)


def test_button_taps_and_stickers_count_but_follow_events_do_not(app, post_events):
    set_setting(app, throttle.MAX_MESSAGES_KEY, 4)
    post_events(event("follow", user_id=FLOODER, follow={"isUnblocked": False}))
    post_events(event("unfollow", user_id=FLOODER))
    post_events(event("follow", user_id=FLOODER, follow={"isUnblocked": True}))
    assert NOTICE not in answers(app, FLOODER)
    post_events(event("postback", user_id=FLOODER, postback={"data": "a=menu"}))
    post_events(event("postback", user_id=FLOODER, postback={"data": "a=menu"}))
    sticker = {"type": "sticker", "id": "1", "quoteToken": "q", "packageId": "1", "stickerId": "1"}
    post_events(event("message", user_id=FLOODER, message={**sticker, "stickerResourceType": "STATIC"}))
    post_events(text_event("こんにちは", user_id=FLOODER))
    assert NOTICE not in answers(app, FLOODER)  # four counted: at the limit, still answered
    post_events(event("postback", user_id=FLOODER, postback={"data": "a=menu"}))
    assert answers(app, FLOODER)[-1] == NOTICE


def test_an_urgent_crisis_message_is_answered_even_during_a_flood(app, post_events):
    set_setting(app, throttle.MAX_MESSAGES_KEY, 2)
    for i in range(4):
        post_events(text_event(f"こんにちは {i}", user_id=FLOODER))
    assert answers(app, FLOODER)[-1] == NOTICE
    post_events(text_event("もう死にたい", user_id=FLOODER))
    after = answers(app, FLOODER)[answers(app, FLOODER).index(NOTICE) + 1 :]
    assert any("110" in text for text in after)  # the crisis resources, at once


def test_while_a_person_has_the_conversation_the_throttle_stays_out_of_the_way(app, post_events):
    set_setting(app, throttle.MAX_MESSAGES_KEY, 2)
    post_events(text_event("こんにちは", user_id=FLOODER))
    with factory(app)() as session:
        conversation = session.scalar(select(Conversation).join(LineUser).where(LineUser.line_user_id == FLOODER))
        conversation.mode = "human"
        session.add(Handoff(user_id=conversation.user_id, reason="asked", status="assigned", summary={}))
        session.commit()
    for i in range(5):
        post_events(text_event(f"担当の方へ {i}", user_id=FLOODER))
    assert NOTICE not in answers(app, FLOODER)
    assert len(received(app, FLOODER)) == 6


def test_several_workers_agree_on_the_count(db_url):
    """Two app instances (as two gunicorn workers) on one database, posting the same resident's flood at once."""
    apps = [create_app(offline_config(db_url)) for _ in range(2)]
    try:
        set_setting(apps[0], throttle.MAX_MESSAGES_KEY, 10)
        start = threading.Barrier(len(apps))
        statuses: list[int] = []

        def worker(app, offset: int) -> None:
            client = app.test_client()
            start.wait()
            for i in range(offset, 24, 2):
                payload = body(text_event(f"こんにちは {i}", user_id=FLOODER))
                headers = {"Content-Type": "application/json", "X-Line-Signature": sign(payload)}
                statuses.append(client.post("/callback", data=payload.encode(), headers=headers).status_code)

        threads = [threading.Thread(target=worker, args=(app, n)) for n, app in enumerate(apps)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert statuses == [200] * 24
        assert sorted(received(apps[0], FLOODER)) == sorted(f"こんにちは {i}" for i in range(24))
        sent = answers(apps[0], FLOODER)
        assert sent.count(NOTICE) == 1
        with factory(apps[0])() as session:
            replies = session.scalar(select(func.count()).select_from(OutboxItem))
        assert replies == 10 + 1  # exactly the limit got answers (whichever worker took them), then the notice
    finally:
        for app in apps:
            app.extensions["madoguchi"].sender.shutdown()
            app.extensions["madoguchi"].engine.dispose()


def test_staff_tune_the_limits_on_the_settings_screen(app, post_events):
    admin = app.test_client()
    user = create_user(app, "admin")
    post_form(admin, "/admin/login", {"email": user.email, "password": "correct-horse-battery"})
    page = admin.get("/admin/settings/").get_data(as_text=True)
    assert 'name="throttle.max_messages" value="20"' in page and 'name="throttle.window_seconds" value="60"' in page
    form = {"push_monthly_budget": "200", "throttle.max_messages": "2", "throttle.window_seconds": "120"}
    assert post_form(admin, "/admin/settings/", form).status_code == 302
    for i in range(3):
        post_events(text_event(f"こんにちは {i}", user_id=FLOODER))
    assert answers(app, FLOODER)[-1] == NOTICE
    bad = post_form(admin, "/admin/settings/", {**form, "throttle.window_seconds": "0"}, follow_redirects=True)
    assert "1〜3600の整数" in bad.get_data(as_text=True)
