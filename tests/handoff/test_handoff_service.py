"""The hand-off service called the way the dispatcher and the console call it, inside real transactions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.handoff import service
from bot.handoff.models import Handoff, InternalNote
from bot.handoff.service import HandoffError
from bot.line.messages import visible_text
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import Conversation, Message, OutboxItem
from tests.handoff.factories import SATURDAY_EVENING, Clock, inbound, make_context, make_resident


def text_of(reply) -> str:
    return "\n".join(visible_text(m) for m in reply.messages)


def waiting_resident(factory, clock: Clock | None = None, reason: str = "asked", urgent: bool = False):
    """A resident who asked for a person; returns (conversation id, user id, handoff id, the reply)."""
    ctx = make_context(clock)
    with unit_of_work(factory) as s:
        c = make_resident(s)
        reply = service.request(ctx, s, c, reason, urgent=urgent)
        handoff = service.open_handoff(s, c.user_id)
        return c.id, c.user_id, handoff.id, reply


def guard(factory, user_id: int, event, clock: Clock | None = None):
    with unit_of_work(factory) as s:
        c = s.scalar(select(Conversation).where(Conversation.user_id == user_id))
        return service.guard(make_context(clock), s, c, event)


def mode(factory, user_id: int) -> str:
    with factory() as s:
        return s.scalar(select(Conversation.mode).where(Conversation.user_id == user_id))


def test_a_request_sets_waiting_creates_the_handoff_and_says_what_happens_next(factory):
    _, user_id, handoff_id, reply = waiting_resident(factory)
    assert mode(factory, user_id) == "waiting"
    assert "担当者におつなぎします" in text_of(reply) and "ボットに戻る" in text_of(reply)
    assert reply.handoff and reply.understood and len(reply.messages) == 1
    with factory() as s:
        handoff = s.get(Handoff, handoff_id)
        assert (handoff.status, handoff.reason, handoff.urgent) == ("waiting", "asked", False)


def test_outside_hours_the_request_names_the_next_opening_and_the_phone(factory):
    _, _, _, reply = waiting_resident(factory, Clock(SATURDAY_EVENING))
    assert "明日 9:00 以降に担当者からご連絡します" in text_of(reply) and "045-671-4732" in text_of(reply)


def test_asking_twice_keeps_one_handoff(factory):
    ctx = make_context()
    with unit_of_work(factory) as s:
        c = make_resident(s)
        service.request(ctx, s, c, "asked")
        again = service.request(ctx, s, c, "asked", urgent=True)
        assert "すでに担当者におつなぎしています" in text_of(again)
        rows = s.scalars(select(Handoff).where(Handoff.user_id == c.user_id)).all()
        assert len(rows) == 1 and rows[0].urgent


def test_the_database_refuses_a_second_open_handoff(factory):
    with pytest.raises(IntegrityError), unit_of_work(factory) as s:
        c = make_resident(s)
        s.add_all([Handoff(user_id=c.user_id, summary={}), Handoff(user_id=c.user_id, summary={})])
        s.flush()


def test_the_guard_lets_the_bot_answer_in_bot_mode(factory):
    with unit_of_work(factory) as s:
        c = make_resident(s)
        assert service.guard(make_context(), s, c, inbound(text="ボランティアしたい")) is None


def test_while_waiting_the_bot_acknowledges_once_then_stays_silent(factory):
    _, user_id, _, _ = waiting_resident(factory)
    first = guard(factory, user_id, inbound(text="理事の間で意見が割れています"))
    assert "メッセージを受け付けました" in text_of(first)
    assert guard(factory, user_id, inbound(text="よろしくお願いします")).messages == []
    assert guard(factory, user_id, inbound("postback", data="a=path&p=volunteer")).messages == []
    assert mode(factory, user_id) == "waiting"


def test_the_resident_can_go_back_to_the_bot(factory):
    _, user_id, handoff_id, _ = waiting_resident(factory)
    reply = guard(factory, user_id, inbound(text="ボットに戻る"))
    assert "ボットの案内に戻りました" in text_of(reply)
    assert mode(factory, user_id) == "bot"
    with factory() as s:
        assert s.get(Handoff, handoff_id).outcome == "user_returned"
    assert guard(factory, user_id, inbound(text="こんにちは")) is None


def test_crisis_while_waiting_gets_resources_and_becomes_urgent(factory):
    _, user_id, handoff_id, _ = waiting_resident(factory)
    with unit_of_work(factory) as s:
        s.get(Handoff, handoff_id).notified_at = utcnow()
    reply = guard(factory, user_id, inbound(text="もう死にたい"))
    assert "0120-279-338" in text_of(reply)
    with factory() as s:
        handoff = s.get(Handoff, handoff_id)
        assert handoff.urgent and handoff.notified_at is None  # coordinators are told again, as urgent


def test_the_urgent_chip_from_the_crisis_message_marks_the_handoff_urgent(factory):
    _, user_id, handoff_id, _ = waiting_resident(factory)
    guard(factory, user_id, inbound("postback", data="a=human&u=1"))
    with factory() as s:
        assert s.get(Handoff, handoff_id).urgent


def test_a_mode_without_an_open_handoff_is_repaired(factory):
    with unit_of_work(factory) as s:
        c = make_resident(s)
        c.mode = "human"
    assert guard(factory, c.user_id, inbound(text="こんにちは")) is None
    assert mode(factory, c.user_id) == "bot"


def test_a_coordinator_takes_a_handoff_and_another_cannot_without_taking_over(factory):
    _, user_id, handoff_id, _ = waiting_resident(factory)
    now = utcnow()
    with unit_of_work(factory) as s:
        service.assign(s, handoff_id, 7, now)
    assert mode(factory, user_id) == "human"
    with pytest.raises(HandoffError, match="ほかの担当者"), unit_of_work(factory) as s:
        service.assign(s, handoff_id, 8, now)
    with unit_of_work(factory) as s:
        assert service.assign(s, handoff_id, 8, now, take_over=True).assigned_to == 8
    assert guard(factory, user_id, inbound(text="まだですか")).messages == []  # no acknowledgement while human


def test_a_reply_uses_the_fresh_reply_token_once_then_pushes(factory):
    _, user_id, handoff_id, _ = waiting_resident(factory)
    with unit_of_work(factory) as s:
        c = s.scalar(select(Conversation).where(Conversation.user_id == user_id))
        c.last_reply_token, c.last_reply_token_at = "tok-1", utcnow() - timedelta(seconds=20)
    with unit_of_work(factory) as s:
        first = service.send_coordinator_message(s, handoff_id, 7, "こんにちは、担当の佐藤です。", utcnow())
        second = service.send_coordinator_message(s, handoff_id, 7, "議事録はお手元にありますか？", utcnow())
    with factory() as s:
        one, two = s.get(OutboxItem, first[0]), s.get(OutboxItem, second[0])
        assert one.reply_token == "tok-1" and two.reply_token is None
        assert utcnow() - one.reply_token_at >= timedelta(seconds=20)  # its real age, so the sender judges it
        assert s.get(Handoff, handoff_id).status == "assigned"  # replying takes a waiting hand-off
        line = s.scalar(select(Message).where(Message.outbox_id == one.id))
        assert line.intent == "coordinator" and line.text == "こんにちは、担当の佐藤です。"


def test_an_expired_or_used_token_means_push(factory):
    _, user_id, handoff_id, _ = waiting_resident(factory)
    with unit_of_work(factory) as s:
        c = s.scalar(select(Conversation).where(Conversation.user_id == user_id))
        c.last_reply_token, c.last_reply_token_at = "old", utcnow() - timedelta(minutes=5)
        assert service.fresh_reply_token(s, c) is None
        c.last_reply_token, c.last_reply_token_at = "used", utcnow()
        s.add(
            OutboxItem(
                user_id=user_id,
                line_user_id="U",
                reply_token="used",
                messages=[{"type": "text", "text": "ご予約は明日です。"}],
                retry_key="k1",
            )
        )
        s.flush()
        assert service.fresh_reply_token(s, c) is None


def test_an_empty_reply_or_a_closed_handoff_is_refused(factory):
    _, _, handoff_id, _ = waiting_resident(factory)
    with pytest.raises(HandoffError, match="空"), unit_of_work(factory) as s:
        service.send_coordinator_message(s, handoff_id, 7, "  ", utcnow())
    with unit_of_work(factory) as s:
        service.close(s, handoff_id, 7, "answered", utcnow())
    with pytest.raises(HandoffError, match="終了"), unit_of_work(factory) as s:
        service.send_coordinator_message(s, handoff_id, 7, "もう一言", utcnow())


def test_closing_returns_to_the_bot_and_tells_the_resident(factory):
    _, user_id, handoff_id, _ = waiting_resident(factory)
    with unit_of_work(factory) as s:
        ids = service.close(s, handoff_id, 7, "referred", utcnow())
    assert mode(factory, user_id) == "bot"
    with factory() as s:
        handoff = s.get(Handoff, handoff_id)
        assert (handoff.status, handoff.outcome, handoff.closed_by) == ("closed", "referred", 7)
        assert "ご相談ありがとうございました" in visible_text(s.get(OutboxItem, ids[0]).messages[0])
    with pytest.raises(HandoffError), unit_of_work(factory) as s:
        service.close(s, handoff_id, 7, "answered", utcnow())


def test_closing_quietly_sends_nothing_and_outcomes_are_checked(factory):
    _, _, handoff_id, _ = waiting_resident(factory)
    with pytest.raises(HandoffError, match="区分"), unit_of_work(factory) as s:
        service.close(s, handoff_id, 7, "whatever", utcnow())
    with unit_of_work(factory) as s:
        assert service.close(s, handoff_id, 7, "no_response", utcnow(), notify_user=False) == []


def test_oa_manager_keeps_the_bot_silent_even_without_acknowledgement(factory):
    _, user_id, handoff_id, _ = waiting_resident(factory)
    with unit_of_work(factory) as s:
        service.mark_oa_manager(s, handoff_id, 7, utcnow())
    assert mode(factory, user_id) == "oa_manager"
    assert guard(factory, user_id, inbound(text="OA Managerから返事をもらいました")).messages == []
    with unit_of_work(factory) as s:
        service.mark_oa_manager(s, handoff_id, 7, utcnow(), on=False)
    assert mode(factory, user_id) == "human"


def test_internal_notes_are_kept_and_never_sent(factory):
    _, _, handoff_id, _ = waiting_resident(factory)
    with unit_of_work(factory) as s:
        before = s.scalar(select(func.count(OutboxItem.id)))
        service.add_note(s, handoff_id, 7, "佐藤", "次回は理事長も同席予定")
        assert s.scalar(select(func.count(OutboxItem.id))) == before
    with factory() as s:
        note = s.scalar(select(InternalNote))
        assert (note.author, note.text) == ("佐藤", "次回は理事長も同席予定")
