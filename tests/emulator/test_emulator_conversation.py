"""The emulator as a LINE user sees it: events reach the bot signed and well-formed, replies come back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from bot.line.emulator import schema
from tests.emulator.fakebot import SECRET, USER


def test_follow_returns_the_reply_with_its_quick_replies(emulator):
    result = emulator.user(USER, "follow")
    assert result["status"] == 200
    assert result["replies"][0]["text"] == "友だち追加ありがとうございます"
    assert [i["action"]["label"] for i in result["replies"][0]["quickReply"]["items"]] == ["はい", "予約"]
    event = emulator.bot.events()[0]
    assert event["type"] == "follow" and event["follow"] == {"isUnblocked": False}
    assert event["source"] == {"type": "user", "userId": USER}


def test_text_message_returns_every_replied_message(emulator):
    result = emulator.user(USER, "messages", {"text": "こんにちは"})
    assert result == {
        "status": 200,
        "webhookEventId": result["webhookEventId"],
        "replies": [{"type": "text", "text": "「こんにちは」ですね"}, {"type": "text", "text": "ほかにありますか？"}],
    }
    message = emulator.bot.events()[0]["message"]
    assert message["type"] == "text" and message["text"] == "こんにちは"
    assert message["id"].isdigit() and message["quoteToken"]


def test_postback_carries_data_and_params(emulator):
    result = emulator.user(USER, "postback", {"data": "a=book&d=1", "params": {"date": "2025-04-01"}})
    assert result["replies"] == [{"type": "text", "text": "postback a=book&d=1 {'date': '2025-04-01'}"}]
    assert emulator.bot.events()[0]["postback"] == {"data": "a=book&d=1", "params": {"date": "2025-04-01"}}
    emulator.user(USER, "postback", {"data": "a=menu", "params": {}})
    assert emulator.bot.events()[1]["postback"] == {"data": "a=menu"}


def test_a_reply_sent_after_the_webhook_answered_is_still_collected(emulator):
    result = emulator.user(USER, "messages", {"text": "あとで"})
    assert [m["text"] for m in result["replies"]] == ["「あとで」ですね", "ほかにありますか？"]


def test_no_reply_gives_an_empty_list_after_the_wait(emulator):
    assert emulator.user(USER, "messages", {"text": "返信しない"})["replies"] == []


def test_other_message_types(emulator):
    emulator.user(USER, "messages", {"type": "sticker", "packageId": "446", "stickerId": "1988"})
    emulator.user(USER, "messages", {"type": "image"})
    emulator.user(USER, "messages", {"type": "location", "title": "センター", "latitude": 35.45, "longitude": 139.63})
    kinds = [e["message"] for e in emulator.bot.events()]
    assert kinds[0]["type"] == "sticker" and kinds[0]["stickerResourceType"] == "STATIC"
    assert kinds[1]["contentProvider"] == {"type": "line"}
    assert kinds[2]["latitude"] == 35.45 and kinds[2]["title"] == "センター"
    status, body, _ = emulator.call("POST", f"/emulator/api/users/{USER}/messages", {"type": "video"})
    assert status == 400 and "type must be" in body["error"]


def test_unfollow_has_no_reply_token_and_refollow_is_an_unblock(emulator):
    emulator.user(USER, "follow")
    result = emulator.user(USER, "unfollow")
    assert result == {"status": 200, "webhookEventId": emulator.bot.events()[1]["webhookEventId"]}
    emulator.user(USER, "follow")
    unfollow, refollow = emulator.bot.events()[1:]
    assert unfollow["type"] == "unfollow" and "replyToken" not in unfollow
    assert refollow["follow"] == {"isUnblocked": True}


def test_sent_webhooks_are_signed_and_valid_against_webhook_yml(emulator):
    emulator.user(USER, "follow")
    emulator.user(USER, "messages", {"text": "署名😀"})
    emulator.user(USER, "messages", {"type": "sticker"})
    emulator.user(USER, "messages", {"type": "image"})
    emulator.user(USER, "messages", {"type": "location", "latitude": 1, "longitude": 2})
    emulator.user(USER, "postback", {"data": "x", "params": {"datetime": "2025-04-01T10:00"}})
    emulator.user(USER, "unfollow")
    assert len(emulator.bot.bodies) == 7
    for body, signature in emulator.bot.bodies:
        expected = base64.b64encode(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
        assert signature == expected
        payload = json.loads(body)
        assert schema.errors("webhook.yml", "CallbackRequest", payload) == []
        event = payload["events"][0]
        assert event["mode"] == "active" and event["deliveryContext"] == {"isRedelivery": False}
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", event["webhookEventId"])
        assert re.fullmatch(r"U[0-9a-f]{32}", payload["destination"])
        assert abs(event["timestamp"] - emulator.bot.events()[0]["timestamp"]) < 60_000


def test_the_webhook_schema_check_catches_a_broken_event():
    broken = {
        "destination": "U" + "0" * 32,
        "events": [{"type": "follow", "mode": "active", "timestamp": 1, "webhookEventId": "x", "deliveryContext": {}}],
    }
    props = {d["property"] for d in schema.errors("webhook.yml", "CallbackRequest", broken)}
    assert {"events[0].replyToken", "events[0].follow", "events[0].deliveryContext.isRedelivery"} <= props


def test_redelivery_keeps_the_event_id_and_sets_the_flag(emulator):
    first = emulator.user(USER, "messages", {"text": "もう一度"})
    status, again, _ = emulator.call("POST", f"/emulator/api/events/{first['webhookEventId']}/redeliver")
    assert status == 200 and again["status"] == 200
    assert again["webhookEventId"] == first["webhookEventId"]
    assert [m["text"] for m in again["replies"]] == ["「もう一度」ですね", "ほかにありますか？"]
    original, redelivered = emulator.bot.events()
    assert original["deliveryContext"] == {"isRedelivery": False}
    assert redelivered["deliveryContext"] == {"isRedelivery": True}
    assert redelivered["webhookEventId"] == original["webhookEventId"]
    assert redelivered["message"] == original["message"]
    assert emulator.call("POST", "/emulator/api/events/NOPE/redeliver")[0] == 404


def test_inbox_lists_replies_and_pushes_in_order(emulator):
    emulator.user(USER, "follow")
    emulator.user(USER, "messages", {"text": "一"})
    status, _, _ = emulator.line(
        "POST", "/v2/bot/message/push", {"to": USER, "messages": [{"type": "text", "text": "お知らせ"}]}
    )
    assert status == 200
    status, inbox, _ = emulator.call("GET", f"/emulator/api/users/{USER}/inbox")
    assert status == 200
    assert [(m["via"], m["message"]["text"]) for m in inbox["messages"]] == [
        ("reply", "友だち追加ありがとうございます"),
        ("reply", "「一」ですね"),
        ("reply", "ほかにありますか？"),
        ("push", "お知らせ"),
    ]
    stamps = [m["at"] for m in inbox["messages"]]
    assert stamps == sorted(stamps) and all("T" in s for s in stamps)
    assert emulator.call("GET", "/emulator/api/users/U" + "9" * 32 + "/inbox")[1] == {"messages": []}


def test_users_are_created_on_first_use_and_can_be_renamed(emulator):
    emulator.user(USER, "follow")
    status, listing, _ = emulator.call("GET", "/emulator/api/users")
    assert listing["users"] == [{"userId": USER, "displayName": "利用者 1111", "following": True, "richMenuId": None}]
    status, renamed, _ = emulator.call("POST", f"/emulator/api/users/{USER}", {"displayName": "山田 花子"})
    assert status == 200 and renamed["displayName"] == "山田 花子"
    status, profile, _ = emulator.line("GET", f"/v2/bot/profile/{USER}")
    assert profile["displayName"] == "山田 花子" and profile["userId"] == USER


def test_an_unreachable_webhook_is_reported_without_waiting(emulator):
    emulator.app.config["EMULATOR_WEBHOOK_URL"] = "http://127.0.0.1:9/callback"
    result = emulator.user(USER, "messages", {"text": "届かない"})
    assert result["status"] is None and result["replies"] == []
