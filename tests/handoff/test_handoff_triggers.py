"""The dispatcher's triggers: postback reasons, crisis after the resources, the second misunderstood message."""

from __future__ import annotations

from bot.dialogue.reply import Reply
from bot.handoff import service, triggers
from bot.platform.db import unit_of_work
from tests.handoff.factories import make_context, make_resident


def test_postback_data_names_the_reason():
    assert triggers.reason_of({"a": "human"}) == ("asked", False)
    assert triggers.reason_of({"a": "human", "u": "1"}) == ("crisis", True)
    assert triggers.reason_of({"a": "human", "r": "unhelpful"}) == ("unhelpful", False)
    assert triggers.reason_of({"a": "human", "r": "path"}) == ("path", False)
    assert triggers.reason_of({"a": "human", "r": "nonsense"}) == ("asked", False)


def test_the_unhelpful_chip_records_its_reason(factory):
    with unit_of_work(factory) as s:
        c = make_resident(s)
        reply = triggers.on_postback(make_context(), s, c, {"a": "human", "r": "unhelpful"})
        assert reply.handoff and service.open_handoff(s, c.user_id).reason == "unhelpful"


def test_a_crisis_reply_is_followed_by_an_urgent_handoff_within_five_messages(factory):
    resources = Reply([{"type": "text", "text": str(i)} for i in range(5)], intent="crisis", handoff=True)
    with unit_of_work(factory) as s:
        c = make_resident(s)
        merged = triggers.after_reply(make_context(), s, c, resources)
        handoff = service.open_handoff(s, c.user_id)
        assert handoff.urgent and handoff.reason == "crisis" and c.mode == "waiting"
    assert len(merged.messages) == 5 and merged.messages[0]["text"] == "0" and merged.understood


def test_the_second_misunderstood_message_hands_off_and_the_first_does_not(factory):
    miss = Reply([{"type": "text", "text": "わかりません"}], understood=False)
    with unit_of_work(factory) as s:
        c = make_resident(s)
        assert triggers.after_reply(make_context(), s, c, miss) is miss
        c.misunderstood_count = 1
        second = triggers.after_reply(make_context(), s, c, miss)
        assert len(second.messages) == 2 and second.understood  # the counter starts again
        assert service.open_handoff(s, c.user_id).reason == "misunderstood"


def test_understood_replies_and_non_bot_modes_pass_through(factory):
    ok = Reply([{"type": "text", "text": "回答"}])
    with unit_of_work(factory) as s:
        c = make_resident(s)
        assert triggers.after_reply(make_context(), s, c, ok) is ok
        assert triggers.after_reply(make_context(), s, c, None) is None
