"""The emulator's multicast is checked like push: the spec's schema (at most 500 recipients, 1–5 messages),
LINE's documented limits, the bearer token and the retry key; it delivers once per key and counts recipients."""

from __future__ import annotations

from tests.emulator.fakebot import USER

MULTICAST = "/v2/bot/message/multicast"
KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"


def users(n: int) -> list[str]:
    return [f"U{i:032x}" for i in range(1, n + 1)]


def inbox(emulator, user: str) -> list[dict]:
    return emulator.call("GET", f"/emulator/api/users/{user}/inbox")[1]["messages"]


def test_more_than_500_recipients_are_refused_and_nothing_is_delivered(emulator):
    status, body, _ = emulator.line("POST", MULTICAST, {"to": users(501), "messages": [{"type": "text", "text": "x"}]})
    assert status == 400 and body["details"][0] == {"message": "Size must be between 1 and 500", "property": "to"}
    assert emulator.store.consumption == 0 and inbox(emulator, users(1)[0]) == []
    assert emulator.store.violations[-1]["endpoint"] == "POST /v2/bot/message/multicast"
    ok = emulator.line("POST", MULTICAST, {"to": users(500), "messages": [{"type": "text", "text": "x"}]})
    assert ok[0] == 200 and emulator.store.consumption == 500


def test_messages_are_checked_against_lines_limits_as_for_push(emulator):
    chip = {"type": "action", "action": {"type": "message", "label": "あ" * 21, "text": "a"}}
    message = {"type": "text", "text": "x", "quickReply": {"items": [chip]}}
    for path, to in (("/v2/bot/message/push", USER), (MULTICAST, [USER])):
        status, body, _ = emulator.line("POST", path, {"to": to, "messages": [message]})
        assert status == 400, path
        assert body["details"][0]["property"] == "messages[0].quickReply.items[0].action.label"
    status, body, _ = emulator.line("POST", MULTICAST, {"to": [USER], "messages": []})
    assert status == 400 and body["details"][0]["property"] == "messages"
    assert emulator.line("POST", MULTICAST, {"messages": [{"type": "text", "text": "x"}]})[0] == 400
    assert emulator.store.consumption == 0


def test_a_repeated_retry_key_is_accepted_once_and_counted_once(emulator):
    request = {"to": users(3), "messages": [{"type": "text", "text": "講座のご案内"}]}
    assert emulator.line("POST", MULTICAST, request, headers={"X-Line-Retry-Key": KEY})[0] == 200
    status, body, headers = emulator.line("POST", MULTICAST, request, headers={"X-Line-Retry-Key": KEY})
    assert status == 409 and body["message"] == "The retry key is already accepted"
    assert headers["X-Line-Accepted-Request-Id"]
    assert [len(inbox(emulator, u)) for u in users(3)] == [1, 1, 1]
    assert emulator.store.consumption == 3
    status, body, _ = emulator.line("POST", MULTICAST, request, headers={"X-Line-Retry-Key": "not-a-uuid"})
    assert status == 400 and "UUID" in body["message"]


def test_multicast_needs_the_channel_access_token(emulator):
    request = {"to": [USER], "messages": [{"type": "text", "text": "x"}]}
    assert emulator.line("POST", MULTICAST, request, token=None)[0] == 401
    assert emulator.line("POST", MULTICAST, request, token="wrong")[0] == 401
    assert emulator.store.consumption == 0
