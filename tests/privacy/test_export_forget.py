"""`madoguchi user export / forget`: everything about one resident and nobody else; erasure frees seats."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from admin.models import AuditLog
from bot.booking.models import Booking, WaitlistEntry
from bot.booking.service import confirm_booking, hold_slot
from bot.booking.settings import BookingSettings
from bot.booking.slots import add_slot
from bot.booking.waitlist import join_waitlist
from bot.cli import main
from bot.handoff.models import Handoff, InternalNote
from bot.platform.models import Conversation, InboundEvent, LineUser, Message
from bot.privacy.export import export_resident
from bot.privacy.forget import forget_resident
from knowledge.models import AnswerFeedback, UnansweredQuestion
from tests.privacy.factories import NOW, RECENT, history, resident
from tests.support.driver import WebhookUser

SETTINGS = BookingSettings(closures=())


@pytest.fixture
def factory(app):
    return app.extensions["madoguchi"].session_factory


def test_the_export_holds_the_residents_data_and_nobody_elses(factory):
    with factory() as s:
        hanako, taro = resident(s), resident(s, "佐藤 太郎")
        history(s, hanako, RECENT, "花子の相談です")
        history(s, taro, RECENT, "太郎の相談です")
        s.commit()
        data = export_resident(s, hanako.line_user_id, NOW)
    assert data["line_user_id"] == hanako.line_user_id and data["profile"]["display_name"] == "山田 花子"
    assert [m["text"] for m in data["messages"]] == ["花子の相談です", "お答えします"]
    assert data["bookings"][0]["summary"] == "花子の相談です" and data["bookings"][0]["organisation"]
    assert data["handoffs"][0]["internal_notes"][0]["text"] == "山田 花子さん、折り返し希望"
    assert data["feedback"] == [
        {"created_at": RECENT.astimezone(UTC).isoformat(), "faq_id": "founding.npo", "helpful": False}
    ]
    assert data["webhook_events"][0]["event_type"] == "message"
    assert data["conversation"]["mode"] == "bot"
    dumped = json.dumps(data, ensure_ascii=False)
    assert "太郎" not in dumped and taro.line_user_id not in dumped


def test_forget_removes_everything_keeps_the_counts_and_is_harmless_twice(factory):
    with factory() as s:
        hanako, taro = resident(s), resident(s, "佐藤 太郎")
        mine = history(s, hanako, RECENT, "090-1234-5678 花子の相談です")
        theirs = history(s, taro, RECENT, "太郎の相談です")
        s.add(Handoff(user_id=hanako.id, status="waiting", reason="asked", summary={"text": "至急"}, created_at=RECENT))
        s.commit()
        messages_before = s.scalar(select(func.count()).select_from(Message))
        line_id, uid = hanako.line_user_id, hanako.id

    with factory() as s:
        counts = forget_resident(s, line_id, NOW, SETTINGS)
        s.commit()
    assert counts["profile"] == 1 and counts["messages"] == 2 and counts["handoffs_closed"] == 1

    with factory() as s:
        assert s.get(LineUser, uid) is None and export_resident(s, line_id, NOW) is None
        assert s.scalar(select(func.count()).where(Conversation.user_id == uid)) == 0
        assert s.scalar(select(func.count()).select_from(Message)) == messages_before  # the figures keep their rows
        said = s.get(Message, mine["message"])
        assert said.text is None and said.intent == "founding" and said.user_id != uid
        assert s.get(UnansweredQuestion, mine["question"]).text == ""  # found by its wording and time
        assert s.get(AnswerFeedback, mine["feedback"]).user_id is None
        assert s.get(Booking, mine["booking"]).summary is None and s.get(Booking, mine["booking"]).status == "attended"
        handoffs = s.scalars(select(Handoff).where(Handoff.id >= mine["handoff"], Handoff.user_id != taro.id)).all()
        assert {h.status for h in handoffs} == {"closed"} and all(h.summary == {} for h in handoffs)
        assert s.scalar(select(func.count()).where(InternalNote.handoff_id == mine["handoff"])) == 0
        assert s.scalar(select(func.count()).where(InboundEvent.line_user_id == line_id)) == 0
        assert s.get(Message, theirs["message"]).text == "太郎の相談です"  # somebody else's data is untouched
        assert s.get(UnansweredQuestion, theirs["question"]).text == "太郎の相談です"
        assert s.get(Booking, theirs["booking"]).summary == "太郎の相談です"

    with factory() as s:
        again = forget_resident(s, line_id, NOW, SETTINGS)
        s.commit()
    assert again == {"webhook_events": 0}


def test_forget_cancels_future_bookings_and_the_seat_goes_to_the_next_person_waiting(factory):
    from tests.booking.factories import get_type

    with factory() as s:
        hanako, taro = resident(s), resident(s, "佐藤 太郎")
        full = add_slot(s, get_type(s), NOW + timedelta(days=7), capacity=1)
        other = add_slot(s, get_type(s), NOW + timedelta(days=8), capacity=1)
        s.flush()
        booked = confirm_booking(s, hold_slot(s, hanako.id, full.id, NOW, SETTINGS).id, hanako.id, NOW, SETTINGS)
        waiting = join_waitlist(s, taro.id, full.id, NOW, SETTINGS)
        held_elsewhere = hold_slot(s, taro.id, other.id, NOW, SETTINGS)  # taro's own, unrelated hold
        s.commit()
        line_id = hanako.line_user_id

    with factory() as s:
        counts = forget_resident(s, line_id, NOW, SETTINGS)
        s.commit()
    assert counts["seats_freed"] == 1

    with factory() as s:
        mine = s.get(Booking, booked.id)
        assert (mine.status, mine.seat_no, mine.cancelled_by) == ("cancelled", None, "system")
        entry = s.get(WaitlistEntry, waiting.id)
        assert entry.status == "offered"
        offer = s.get(Booking, entry.booking_id)
        assert (offer.user_id, offer.slot_id, offer.seat_no, offer.status) == (taro.id, full.id, 1, "held")
        assert s.get(Booking, held_elsewhere.id).status == "held"

    with factory() as s:
        assert forget_resident(s, line_id, NOW, SETTINGS) == {"webhook_events": 0}
        s.commit()
        assert s.get(Booking, entry.booking_id).status == "held"  # a second forget takes nothing from taro


def test_forget_leaves_the_waitlist_and_hands_an_offered_seat_on(factory):
    from tests.booking.factories import get_type

    with factory() as s:
        holder, hanako, taro = resident(s), resident(s), resident(s, "佐藤 太郎")
        slot = add_slot(s, get_type(s), NOW + timedelta(days=7), capacity=1)
        s.flush()
        first = confirm_booking(s, hold_slot(s, holder.id, slot.id, NOW, SETTINGS).id, holder.id, NOW, SETTINGS)
        join_waitlist(s, hanako.id, slot.id, NOW, SETTINGS)
        later = join_waitlist(s, taro.id, slot.id, NOW + timedelta(minutes=1), SETTINGS)
        s.commit()
    from bot.booking.service import cancel_booking

    with factory() as s:
        cancel_booking(s, first.id, holder.id, NOW, SETTINGS)  # hanako, first in line, is offered the seat
        s.commit()
    with factory() as s:
        forget_resident(s, hanako.line_user_id, NOW, SETTINGS)
        s.commit()
        entry = s.get(WaitlistEntry, later.id)
        assert entry.status == "offered" and s.get(Booking, entry.booking_id).seat_no == 1


def test_the_cli_exports_and_forgets_beside_the_admin_account_commands(app, post_events, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    hanako, taro = WebhookUser(app, post_events), WebhookUser(app, post_events)
    hanako.follows()
    hanako.says("NPO法人を作りたいです")
    taro.says("ボランティアを探しています")
    runner = CliRunner()

    exported = runner.invoke(main, ["user", "export", hanako.user_id])
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert "NPO法人を作りたいです" in [m["text"] for m in data["messages"]]
    assert "ボランティアを探しています" not in exported.output and taro.user_id not in exported.output

    first = runner.invoke(main, ["user", "forget", hanako.user_id, "--yes"])
    assert first.exit_code == 0 and "forgotten" in first.output, first.output
    second = runner.invoke(main, ["user", "forget", hanako.user_id, "--yes"])
    assert second.exit_code == 0 and "nothing held" in second.output
    assert runner.invoke(main, ["user", "export", hanako.user_id]).exit_code == 1
    refused = runner.invoke(main, ["user", "forget", taro.user_id], input="n\n")
    assert refused.exit_code == 1  # asked, and the answer was no

    factory = app.extensions["madoguchi"].session_factory
    with factory() as s:
        actions = [(a.action, a.target) for a in s.scalars(select(AuditLog).where(AuditLog.action.like("resident.%")))]
        assert [a for a, _ in actions] == ["resident.export", "resident.forget"]
        assert all(hanako.user_id not in (t or "") for _, t in actions)
        assert s.scalar(select(LineUser).where(LineUser.line_user_id == taro.user_id)) is not None

    listed = runner.invoke(main, ["user", "list"])
    assert listed.exit_code == 0  # the admin account commands still work in the same group
    assert {"add", "passwd", "list", "export", "forget"} <= set(runner.invoke(main, ["user", "--help"]).output.split())
