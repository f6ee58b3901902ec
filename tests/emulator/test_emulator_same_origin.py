"""The emulator's HTTP API is driven only by its own page (or by tools, which send no Origin): another web page
must not drive a running demo with a cross-origin `text/plain` POST, which browsers send without a preflight."""

from __future__ import annotations

import json

import pytest

USER = "U" + "c" * 32
EVIL = "http://evil.example"


def received(emulator) -> int:
    return len(emulator.bot.events())


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain", "Origin": EVIL},  # the classic: a form or fetch with no preflight
        {"Content-Type": "text/plain"},  # an older browser that sends no Origin: the JSON type is still required
        {"Content-Type": "application/json", "Origin": EVIL},
        {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": "null"},
    ],
)
def test_cross_origin_or_non_json_state_changes_are_refused(emulator, headers):
    raw = json.dumps({"type": "text", "text": "乗っ取り"}).encode()
    status, body, _ = emulator.call("POST", f"/emulator/api/users/{USER}/messages", headers=headers, raw=raw)
    assert status in (403, 415), body
    status, _, _ = emulator.call("POST", f"/emulator/api/users/{USER}/follow", headers={"Origin": EVIL}, raw=b"")
    assert status == 403
    status, _, _ = emulator.call("DELETE", "/emulator/api/faults", headers={"Origin": EVIL})
    assert status == 403
    assert received(emulator) == 0


def test_the_page_itself_and_tools_still_drive_it(emulator):
    same = {"Origin": emulator.url, "Sec-Fetch-Site": "same-origin"}
    status, body, _ = emulator.call("POST", f"/emulator/api/users/{USER}/follow", {}, headers=same)
    assert status == 200, body
    assert emulator.user(USER, "messages", {"type": "text", "text": "こんにちは"})["replies"]  # no Origin: a tool
    status, _, _ = emulator.call("GET", f"/emulator/api/users/{USER}/timeline", headers={"Origin": EVIL})
    assert status == 200  # reading is not a change (and CORS keeps the answer from the other page)
