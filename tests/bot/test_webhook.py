"""The webhook as LINE sees it: signatures, redeliveries, every event type, never a 500."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.platform.models import InboundEvent, LineUser, Message, OutboxItem
from tests.support.events import event, text_event

SDK_WEBHOOK = Path(__file__).resolve().parents[1] / "data" / "line-sdk" / "webhook.json"


def count(app, model) -> int:
    with app.extensions["madoguchi"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_valid_signature_is_accepted_and_the_message_is_answered(app, post_events):
    response = post_events(text_event("こんにちは"))
    assert response.status_code == 200
    assert count(app, InboundEvent) == 1
    with app.extensions["madoguchi"].session_factory() as session:
        directions = [m.direction for m in session.scalars(select(Message).order_by(Message.id))]
    assert directions[0] == "in" and "out" in directions


def test_an_invalid_signature_is_rejected_and_nothing_is_stored(app, post_events):
    response = post_events(text_event("こんにちは"), signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 400
    assert count(app, InboundEvent) == 0 and count(app, LineUser) == 0 and count(app, Message) == 0


def test_a_missing_signature_is_rejected(app):
    response = app.test_client().post("/callback", data=b'{"events": []}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert count(app, InboundEvent) == 0


def test_a_signed_body_that_is_not_json_is_a_400(post_events):
    assert post_events(raw="{not json").status_code == 400
    assert post_events(raw='"just a string"').status_code == 400


def test_a_redelivered_event_is_processed_once(app, post_events):
    first = text_event("ボランティアを始めたい", event_id="01REDELIVERYTEST0000000000")
    again = dict(first, deliveryContext={"isRedelivery": True})
    assert post_events(first).status_code == 200
    assert post_events(again).status_code == 200
    assert count(app, InboundEvent) == 1
    assert count(app, OutboxItem) == 1


def test_an_unknown_event_type_is_ignored_with_200(app, post_events, caplog):
    caplog.set_level(logging.INFO)
    response = post_events(event("somethingNew", somethingNew={"x": 1}))
    assert response.status_code == 200
    assert "unknown or malformed type 'somethingNew'" in caplog.text
    assert count(app, OutboxItem) == 0


def test_the_official_sdk_test_webhook_is_taken_event_by_event(app, post_events):
    events = json.loads(SDK_WEBHOOK.read_text())["events"]
    assert len(events) == 28
    assert post_events(*events).status_code == 200  # they share one webhookEventId: the first one wins
    unique = [dict(e, webhookEventId=f"SDK{i:023d}") for i, e in enumerate(events)]
    assert post_events(*unique).status_code == 200
    assert count(app, InboundEvent) == 29


def test_follow_marks_the_user_and_unfollow_marks_them_gone(app, post_events):
    user = "U" + "1" * 32
    post_events(event("follow", user_id=user, follow={"isUnblocked": False}))
    post_events(event("unfollow", user_id=user))
    with app.extensions["madoguchi"].session_factory() as session:
        row = session.scalar(select(LineUser).where(LineUser.line_user_id == user))
    assert row.followed_at is not None and row.unfollowed_at is not None


def test_group_messages_are_not_answered(app, post_events):
    group_event = text_event("こんにちは")
    group_event["source"] = {"type": "group", "groupId": "C" + "2" * 32, "userId": "U" + "2" * 32}
    assert post_events(group_event).status_code == 200
    assert count(app, OutboxItem) == 0


@pytest.mark.parametrize("index", range(28))
def test_each_official_sdk_event_alone_is_taken_without_an_error(app, post_events, caplog, index):
    raw = json.loads(SDK_WEBHOOK.read_text())["events"][index]
    raw["webhookEventId"] = f"SDK{index:023d}"
    response = post_events(raw)
    assert response.status_code == 200, raw["type"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []  # no handler failed
    assert count(app, InboundEvent) == 1
    source = raw.get("source") or {}
    resident = source.get("type") == "user" and bool(source.get("userId"))
    with app.extensions["madoguchi"].session_factory() as session:
        incoming = list(session.scalars(select(Message).where(Message.direction == "in")))
    assert len(incoming) == (1 if resident else 0)  # a resident's event is in the transcript, a group's is not
    if resident and raw["type"] == "message" and raw["message"]["type"] == "text":
        assert incoming[0].text == raw["message"]["text"]
    if not resident:
        assert count(app, OutboxItem) == 0  # the account never talks in groups
    assert post_events(dict(raw, deliveryContext={"isRedelivery": True})).status_code == 200
    assert count(app, InboundEvent) == 1


def _variants() -> list[dict]:
    """Text events as LINE sends them, near misses of the plain shape, and every event of the SDK's test webhook."""
    plain = text_event("駐車場はありますか")
    variants = [plain, text_event("a\x00b" + "長" * 6000), text_event("x", redelivery=True), dict(plain, extra=1)]
    for key, value in [
        ("timestamp", 1.5),
        ("timestamp", True),
        ("timestamp", "1"),
        ("mode", "odd"),
        ("replyToken", 7),
        ("deliveryContext", {"isRedelivery": "true"}),
        ("source", {"type": "user"}),
        ("source", {"type": "group", "groupId": "C1", "userId": "U1"}),
    ]:
        variants.append(dict(plain, **{key: value}))  # fmt: skip
    standby = dict(plain, mode="standby")
    del standby["replyToken"]
    variants.append(standby)
    for key, value in [
        ("emojis", [{"index": 0, "productId": "p", "emojiId": "e", "length": 1}]),
        ("quotedMessageId", "123"),
        ("markAsReadToken", "t"),
        ("markAsReadToken", 3),
        ("id", 5),
    ]:
        variants.append(dict(plain, message={**plain["message"], key: value}))  # fmt: skip
    sdk = json.loads(SDK_WEBHOOK.read_text())["events"]
    return variants + [dict(e, webhookEventId=f"SDK{i:023d}") for i, e in enumerate(sdk)]


def test_plain_text_events_read_without_the_sdk_give_what_the_sdk_path_gives(monkeypatch):
    from bot.line import inbound

    variants = _variants()
    fast = [inbound.parse_event(raw) for raw in variants]
    assert inbound._plain_text(variants[0]) is not None  # the plain shape does take the short way
    monkeypatch.setattr(inbound, "_plain_text", lambda raw: None)
    assert [inbound.parse_event(raw) for raw in variants] == fast
