"""The retention job: with a frozen clock, old personal content is anonymised and the admin's figures stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.booking.models import Booking, Slot
from bot.handoff.models import Handoff, InternalNote
from bot.platform.models import Conversation, InboundEvent, LineUser, Message, OutboxItem
from bot.platform.scheduler import build_scheduler
from bot.privacy.anonymise import ANONYMOUS_LINE_ID
from bot.privacy.jobs import anonymise_expired_records
from bot.privacy.retention import apply_retention
from knowledge.models import AnswerFeedback, UnansweredQuestion
from tests.privacy.factories import NOW, OLD, RECENT, figures, history, resident


@pytest.fixture
def factory(app):
    return app.extensions["madoguchi"].session_factory


def test_old_content_is_anonymised_recent_content_kept_and_the_figures_do_not_change(factory):
    with factory() as s:
        hanako, taro = resident(s), resident(s, "佐藤 太郎")
        old = history(s, hanako, OLD, "090-1234-5678 山田です、NPOを作りたい")
        recent = history(s, taro, RECENT, "最近の相談です")
        s.commit()
        before = figures(s)
    assert dict(before["intents"])["founding"] >= 2 and before["handoffs"][0] >= 2 and before["bookings"]

    with factory() as s:
        counts = apply_retention(s, NOW, 365)
        s.commit()
    assert counts["messages"] >= 2 and counts["handoffs"] >= 1 and counts["bookings"] >= 1

    with factory() as s:
        assert figures(s) == before  # per day, per intent, outcomes, feedback, pushes, hand-offs, bookings
        anon = s.scalar(select(LineUser).where(LineUser.line_user_id == ANONYMOUS_LINE_ID))
        said, answer = s.get(Message, old["message"]), s.get(Message, old["answer"])
        assert (said.text, said.payload, said.line_message_id, said.webhook_event_id) == (None, None, None, None)
        assert said.user_id == answer.user_id == anon.id and (said.intent, said.faq_id) == ("founding", "founding.npo")
        push = s.get(OutboxItem, old["push"])
        assert (push.line_user_id, push.user_id) == (ANONYMOUS_LINE_ID, anon.id) and "NPO" not in str(push.messages)
        assert (push.via, push.status) == ("push", "sent")
        question = s.get(UnansweredQuestion, old["question"])
        assert (question.text, question.reason) == ("", "abstained") and question.status == "dismissed"
        assert s.get(AnswerFeedback, old["feedback"]).user_id is None
        handoff = s.get(Handoff, old["handoff"])
        assert (handoff.user_id, handoff.summary, handoff.reason, handoff.outcome) == (anon.id, {}, "asked", "answered")
        assert s.scalar(select(func.count()).where(InternalNote.handoff_id == handoff.id)) == 0
        booking = s.get(Booking, old["booking"])
        assert (booking.user_id, booking.summary, booking.organisation, booking.status) == (
            anon.id,
            None,
            None,
            "attended",
        )
        event = s.scalar(select(InboundEvent).where(InboundEvent.webhook_event_id == old["event"]))
        assert event.line_user_id is None

        assert s.get(Message, recent["message"]).text == "最近の相談です"  # inside the period: untouched
        assert s.get(Message, recent["message"]).user_id == taro.id
        assert s.get(Booking, recent["booking"]).summary == "最近の相談です"
        assert s.get(Handoff, recent["handoff"]).summary == {"text": "最近の相談です"}
        assert s.scalar(select(func.count()).where(InternalNote.handoff_id == recent["handoff"])) == 1
        assert s.get(UnansweredQuestion, recent["question"]).text == "最近の相談です"
        assert s.get(LineUser, hanako.id) is not None  # still a friend: the profile stays

    with factory() as s:
        assert not any(apply_retention(s, NOW, 365).values())  # a second run changes nothing
        s.commit()


def test_two_residents_in_one_group_slot_are_both_anonymised(factory):
    with factory() as s:
        hanako, taro = resident(s), resident(s, "佐藤 太郎")
        ids = history(s, hanako, OLD, "団体の相談")
        slot_id = s.get(Booking, ids["booking"]).slot_id
        s.add(Booking(slot_id=slot_id, user_id=taro.id, seat_no=2, status="attended", created_at=OLD))
        s.commit()
    with factory() as s:
        apply_retention(s, NOW, 365)
        s.commit()
        rows = s.scalars(select(Booking).where(Booking.slot_id == slot_id)).all()
        assert len(rows) == 2 and len({b.user_id for b in rows}) == 1 and {b.status for b in rows} == {"attended"}


def test_the_period_is_configurable(factory):
    with factory() as s:
        ids = history(s, resident(s), RECENT, "十日前の相談")
        s.commit()
    with factory() as s:
        apply_retention(s, NOW, 30)
        s.commit()
        assert s.get(Message, ids["message"]).text == "十日前の相談"
    with factory() as s:
        apply_retention(s, NOW, 7)
        s.commit()
        assert s.get(Message, ids["message"]).text is None


def test_residents_who_blocked_the_account_long_ago_are_deleted(factory):
    with factory() as s:
        gone, blocked_lately, friend = resident(s), resident(s), resident(s)
        history(s, gone, OLD, "むかしの相談")
        gone.unfollowed_at = OLD + timedelta(days=2)
        blocked_lately.unfollowed_at = RECENT
        s.commit()
    with factory() as s:
        assert apply_retention(s, NOW, 365)["residents"] == 1
        s.commit()
        assert s.get(LineUser, gone.id) is None
        assert s.scalar(select(func.count()).where(Conversation.user_id == gone.id)) == 0
        assert s.get(LineUser, blocked_lately.id) is not None and s.get(LineUser, friend.id) is not None


def test_a_stale_conversation_forgets_its_half_finished_flow(factory):
    with factory() as s:
        user = resident(s)
        conversation = s.scalar(select(Conversation).where(Conversation.user_id == user.id))
        conversation.flow, conversation.slots = "booking", {"summary": "090-1111-2222"}
        conversation.throttle_times, conversation.throttle_notice_at = [OLD.timestamp()], OLD  # when it wrote
        s.flush()
        conversation.updated_at = OLD
        s.commit()
    with factory() as s:
        apply_retention(s, NOW, 365)
        s.commit()
        conversation = s.scalar(select(Conversation).where(Conversation.user_id == user.id))
        assert (conversation.flow, conversation.slots) == (None, {})
        assert (conversation.throttle_times, conversation.throttle_notice_at) == ([], None)


def test_the_worker_runs_the_job_with_the_configured_period(app, factory):
    svc = app.extensions["madoguchi"]
    assert "anonymise_expired_records" in {job.id for job in build_scheduler(svc).get_jobs()}
    with factory() as s:
        ids = history(s, resident(s), RECENT, "十日前の相談")
        s.commit()
    svc.context.retention_days = 7
    counts = anonymise_expired_records(svc, now=NOW)
    assert counts["messages"] >= 2
    with factory() as s:
        assert s.get(Message, ids["message"]).text is None
        assert s.get(Slot, s.get(Booking, ids["booking"]).slot_id) is not None
