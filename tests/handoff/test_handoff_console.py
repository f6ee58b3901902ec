"""The coordinator console through the test client: queue order, conversation view, replies, actions, notes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.handoff import service
from bot.handoff.demo import seed_demo
from bot.handoff.models import Handoff
from bot.handoff.queue import push_usage
from bot.line.messages import visible_text
from bot.platform.db import set_clock, unit_of_work, utcnow
from bot.platform.models import Conversation, OutboxItem, Setting
from tests.handoff.console_support import SUZUKI, mount_console
from tests.handoff.factories import TOKYO, Clock, make_context, make_resident


@pytest.fixture
def console(app):
    return mount_console(app)


@pytest.fixture
def factory(app):
    return app.extensions["madoguchi"].session_factory


def waiting(factory, minutes_ago: int, reason: str = "asked", urgent: bool = False, name: str = "") -> int:
    """A resident who asked `minutes_ago`; returns the hand-off id."""
    now = utcnow()
    with unit_of_work(factory) as s:
        c = make_resident(s, name)
        service.request(make_context(Clock(now - timedelta(minutes=minutes_ago))), s, c, reason, urgent=urgent)
        handoff_id = service.open_handoff(s, c.user_id).id
    set_clock(Clock(now))  # the app's clock is one per process: back to the moment the console is read at
    return handoff_id


def fresh_token(factory, handoff_id: int, token: str = "tok-fresh") -> None:  # noqa: S107 (a fake reply token)
    with unit_of_work(factory) as s:
        user_id = s.get(Handoff, handoff_id).user_id
        c = s.scalar(select(Conversation).where(Conversation.user_id == user_id))
        c.last_reply_token, c.last_reply_token_at = token, utcnow()


def test_the_queue_shows_crisis_first_then_the_longest_waiting(console, factory):
    older = waiting(factory, 30, name="older")
    newer = waiting(factory, 10, name="newer")
    crisis = waiting(factory, 2, "crisis", urgent=True, name="crisis")
    page = console.page("/")
    order = [int(i) for i in re.findall(r'data-handoff="(\d+)"', page)]
    assert order == [crisis, older, newer]
    assert "危機の兆候" in page and "30分待ち" in page


def test_the_tabs_split_mine_others_and_closed(console, factory):
    mine, theirs, done = waiting(factory, 5, name="m"), waiting(factory, 5, name="t"), waiting(factory, 5, name="d")
    with unit_of_work(factory) as s:
        service.assign(s, mine, 7, utcnow())
        service.assign(s, theirs, 8, utcnow())
        service.close(s, done, 7, "answered", utcnow())
    assert re.findall(r'data-handoff="(\d+)"', console.page("/?view=mine")) == [str(mine)]
    assert re.findall(r'data-handoff="(\d+)"', console.page("/?view=others")) == [str(theirs)]
    closed = console.page("/?view=closed")
    assert re.findall(r'data-handoff="(\d+)"', closed) == [str(done)] and "回答・情報提供で解決" in closed


def test_the_conversation_view_has_the_transcript_faq_ids_summary_and_profile_name(console, factory):
    with unit_of_work(factory) as s:
        handoff_id = seed_demo(s, utcnow()).id
    page = console.page(f"/c/{handoff_id}")
    assert "デモ 花子" in page and "FAQ dissolution.npo_considering" in page
    assert "解散・継続・NPO法人・迷っている・検討中" in page  # the triage summary, from the tapped answers
    assert "理事の間で意見が割れていて" in page and "回答が役に立たず" in page


def test_a_reply_uses_the_reply_token_while_valid_then_push_and_counts_pushes(console, factory):
    handoff_id = waiting(factory, 1)
    fresh_token(factory, handoff_id)
    assert console.post(f"/c/{handoff_id}/reply", text="担当の佐藤です。").status_code == 302
    assert console.gateway.replies[0][0] == "tok-fresh" and console.gateway.pushes == []
    response = console.post(f"/c/{handoff_id}/reply", json=True, text="議事録はありますか？")
    assert response.get_json() == {"ok": True, "error": None, "message": "送信しました。"}
    assert len(console.gateway.pushes) == 1 and console.gateway.pushes[0][2]  # with an X-Line-Retry-Key
    with factory() as s:
        assert push_usage(s, utcnow().astimezone(TOKYO).date()).used == 1
        assert s.get(Handoff, handoff_id).assigned_to == 7
    assert "今月のプッシュ送信 1 / 200 通" in console.page("/")


def test_the_budget_warns_at_eighty_percent(console, factory):
    with unit_of_work(factory) as s:
        s.add(Setting(key="push_monthly_budget", value=5))
        c = make_resident(s)
        for i in range(4):
            s.add(
                OutboxItem(
                    user_id=c.user_id,
                    line_user_id="U",
                    messages=[{"type": "text", "text": "ご予約は明日です。"}],
                    retry_key=f"k{i}",
                    status="sent",
                    via="push",
                    sent_at=utcnow(),
                )
            )
    page = console.page("/")
    assert "4 / 5 通（80%）" in page and "80%を超えました" in page


def test_internal_notes_show_in_the_history_and_are_never_sent(console, factory):
    handoff_id = waiting(factory, 1)
    console.post(f"/c/{handoff_id}/notes", text="理事長への連絡は来週")
    assert "理事長への連絡は来週" in console.page(f"/c/{handoff_id}") and "内部メモ" in console.page(f"/c/{handoff_id}")
    assert console.gateway.pushes == [] and console.gateway.replies == []


def test_taking_taking_over_and_oa_manager(console, factory):
    handoff_id = waiting(factory, 1)
    console.post(f"/c/{handoff_id}/take")
    console.act_as(SUZUKI)
    refused = console.post(f"/c/{handoff_id}/take", json=True)
    assert refused.status_code == 409 and "ほかの担当者" in refused.get_json()["error"]
    console.post(f"/c/{handoff_id}/take", take_over="1")
    console.post(f"/c/{handoff_id}/oa", on="1")
    with factory() as s:
        handoff = s.get(Handoff, handoff_id)
        assert handoff.assigned_to == 8 and handoff.oa_manager
        assert s.scalar(select(Conversation.mode).where(Conversation.user_id == handoff.user_id)) == "oa_manager"


def test_closing_with_an_outcome_tells_the_resident_and_returns_to_the_bot(console, factory):
    handoff_id = waiting(factory, 1)
    console.post(f"/c/{handoff_id}/close", outcome="referred", notify="1")
    with factory() as s:
        handoff = s.get(Handoff, handoff_id)
        assert (handoff.status, handoff.outcome, handoff.closed_by) == ("closed", "referred", 7)
        assert s.scalar(select(Conversation.mode).where(Conversation.user_id == handoff.user_id)) == "bot"
    assert "ご相談ありがとうございました" in visible_text(console.gateway.pushes[0][1][0])
    again = console.post(f"/c/{handoff_id}/close", json=True, outcome="answered")
    assert "この相談はすでに終了しています" in again.get_json()["error"]


def test_return_to_bot_and_a_quiet_close(console, factory):
    returned, quiet = waiting(factory, 1, name="r"), waiting(factory, 1, name="q")
    console.post(f"/c/{returned}/return")
    console.post(f"/c/{quiet}/close", outcome="no_response")  # the box unticked: nothing is sent
    with factory() as s:
        assert s.get(Handoff, returned).outcome == "returned_to_bot"
        assert s.get(Handoff, quiet).outcome == "no_response"
    assert len(console.gateway.pushes) == 1


def test_a_kb_answer_goes_out_as_a_card_with_its_faq_id(console, factory):
    handoff_id = waiting(factory, 1)
    console.post(f"/c/{handoff_id}/kb", faq_id="dissolution.npo_considering")
    card = console.gateway.pushes[0][1][0]
    assert card["type"] == "flex" and "NPO法人" in visible_text(card) and "出典" in visible_text(card)
    assert "FAQ dissolution.npo_considering" in console.page(f"/c/{handoff_id}")
    assert "見つからない" in console.post(f"/c/{handoff_id}/kb", json=True, faq_id="no.such").get_json()["error"]


def test_offering_a_booking_hands_the_resident_to_the_booking_flow(console, factory):
    from bot.booking.defaults import seed_demo as seed_booking

    handoff_id = waiting(factory, 1)
    with unit_of_work(factory) as s:
        seed_booking(s, utcnow().astimezone(TOKYO).date())
    console.post(f"/c/{handoff_id}/booking")
    with factory() as s:
        handoff = s.get(Handoff, handoff_id)
        conversation = s.scalar(select(Conversation).where(Conversation.user_id == handoff.user_id))
        assert handoff.outcome == "booked" and conversation.mode == "bot" and conversation.flow == "booking"
    texts = [visible_text(m) for m in console.gateway.pushes[0][1]]
    assert texts[0].startswith("担当者より") and len(texts) >= 2


def test_the_live_endpoint_sends_the_fragment_only_when_it_changed(console, factory):
    handoff_id = waiting(factory, 1)
    first = console.get(f"/api/c/{handoff_id}").get_json()
    assert first["html"] and first["status"] == "waiting" and first["mode"] == "waiting"
    same = console.get(f"/api/c/{handoff_id}?since={first['version']}").get_json()
    assert same["html"] is None
    console.post(f"/c/{handoff_id}/notes", text="新しいメモ")
    changed = console.get(f"/api/c/{handoff_id}?since={first['version']}").get_json()
    assert "新しいメモ" in changed["html"]
    queue = console.get("/api/queue?view=waiting").get_json()
    assert queue["counts"]["waiting"] == 1 and f'data-handoff="{handoff_id}"' in queue["html"]


def test_posts_without_a_csrf_token_are_refused(console, factory):
    handoff_id = waiting(factory, 1)
    assert console.client.post(f"/t/console/c/{handoff_id}/reply", data={"text": "x"}).status_code == 400
    with factory() as s:
        assert s.scalar(select(func.count(OutboxItem.id)).where(OutboxItem.reply_token.is_(None))) == 0


def test_without_a_logged_in_admin_the_console_refuses(console):
    console.act_as(None)
    assert console.get("/").status_code == 403
    assert console.get("/api/queue").status_code == 403


def test_the_script_is_served(console):
    response = console.get("/static/console.js")
    try:
        assert "POLL_MS" in response.get_data(as_text=True)
    finally:
        response.close()


def test_through_the_admin_guard_a_signed_in_coordinator_replies_and_anonymous_is_sent_to_login(app, factory):
    support = pytest.importorskip("tests.support.admin", reason="tests/support/admin.py (admin issue) missing")
    client = app.test_client()
    handoff_id = waiting(factory, 1)
    assert "/admin/login" in client.get(f"/admin/console/c/{handoff_id}").headers["Location"]
    user = support.login_as(client, "coordinator")
    page = client.get(f"/admin/console/c/{handoff_id}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(f"/admin/console/c/{handoff_id}/take", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.post(f"/admin/console/c/{handoff_id}/close", data={"outcome": "answered"}).status_code == 400
    with factory() as s:
        assert s.get(Handoff, handoff_id).assigned_to == user.id
