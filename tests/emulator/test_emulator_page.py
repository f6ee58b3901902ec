"""The chat simulator page: served, Japanese-ready, self-contained, and its renderer never parses message text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.emulator.fakebot import MENU, png

STATIC = Path(__file__).parents[2] / "bot" / "line" / "emulator" / "static" / "emulator"
HARNESS = Path(__file__).parent / "render_harness.js"


def test_simulator_page_has_the_chat_ui(emulator):
    status, html, headers = emulator.call("GET", "/emulator/")
    page = html.decode("utf-8")
    assert status == 200 and headers.get_content_type() == "text/html"
    assert '<html lang="ja">' in page and '<meta charset="utf-8">' in page
    for element in (
        "user-select",
        "add-user",
        "follow",
        "unfollow",
        "chat",
        "quick-replies",
        "composer",
        "text",
        "picker-input",
        "rich-menu",
        "violations",
    ):
        assert f'id="{element}"' in page, element
    assert "友だち追加" in page and "メッセージを入力" in page
    for asset in re.findall(r'(?:src|href)="(/emulator/static/[^"]+)"', page):
        assert emulator.call("GET", asset)[0] == 200, asset
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)


def test_assets_need_no_network_and_never_use_inner_html():
    for path in STATIC.iterdir():
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://|@import|url\(", source), path.name
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source), path.name
    assert '"Noto Sans CJK JP"' in (STATIC / "chat.css").read_text(encoding="utf-8")


node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@node
@pytest.mark.parametrize("script", ["chat.js", "render.js"])
def test_scripts_parse(script):
    subprocess.run(["node", "--check", str(STATIC / script)], check=True, capture_output=True)


@node
def test_renderer_shows_every_kind_of_message_as_text_nodes():
    button = {"type": "button", "style": "primary", "action": {"type": "postback", "label": "予約する", "data": "a"}}
    messages = [
        {"type": "text", "text": "<img src=x onerror=alert(1)>こんにちは"},
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        {"type": "image", "originalContentUrl": "https://example.com/a.png", "previewImageUrl": "https://e/a.png"},
        {"type": "location", "title": "センター", "address": "横浜市", "latitude": 35.4, "longitude": 139.6},
        {
            "type": "template",
            "altText": "確認",
            "template": {
                "type": "confirm",
                "text": "よろしいですか？",
                "actions": [
                    {"type": "message", "label": "はい", "text": "はい"},
                    {"type": "message", "label": "いいえ", "text": "no"},
                ],
            },
        },
        {
            "type": "flex",
            "altText": "カード",
            "contents": {
                "type": "carousel",
                "contents": [
                    {
                        "type": "bubble",
                        "hero": {"type": "image", "url": "https://example.com/h.png", "aspectRatio": "20:13"},
                        "body": {
                            "type": "box",
                            "layout": "vertical",
                            "spacing": "md",
                            "contents": [
                                {"type": "text", "text": "相談窓口", "weight": "bold", "size": "xl"},
                                {"type": "separator"},
                                {
                                    "type": "box",
                                    "layout": "horizontal",
                                    "contents": [
                                        {
                                            "type": "text",
                                            "contents": [
                                                {"type": "span", "text": "月〜金"},
                                                {"type": "span", "text": " 9時"},
                                            ],
                                        },
                                        {"type": "filler"},
                                    ],
                                },
                            ],
                        },
                        "footer": {"type": "box", "layout": "vertical", "contents": [button]},
                    }
                ],
            },
        },
        {
            "type": "imagemap",
            "altText": "地図",
            "baseUrl": "https://e",
            "baseSize": {"width": 1040, "height": 1040},
            "actions": [],
        },
    ]
    result = subprocess.run(
        ["node", str(HARNESS), str(STATIC / "render.js")],
        input=json.dumps(messages),
        capture_output=True,
        text=True,
        check=True,
    )
    rendered = json.loads(result.stdout)
    texts = rendered["text"]
    assert texts[0] == "<img src=x onerror=alert(1)>こんにちは"
    assert "スタンプ" in texts[1] and "画像" in texts[2] and "センター" in texts[3]
    assert "よろしいですか？" in texts[4] and "はい" in texts[4] and "いいえ" in texts[4]
    assert all(word in texts[5] for word in ("相談窓口", "月〜金 9時", "予約する", "画像"))
    assert "地図" in texts[6]
    assert '"clickable": true' in json.dumps(rendered["trees"][5])


@node
def test_chat_script_drives_a_conversation_against_the_emulator(emulator):
    menu_id = emulator.line("POST", "/v2/bot/richmenu", MENU)[1]["richMenuId"]
    upload = emulator.line(
        "POST", f"/v2/bot/richmenu/{menu_id}/content", raw=png(2500, 843), headers={"Content-Type": "image/png"}
    )
    assert upload[0] == 200 and emulator.line("POST", f"/v2/bot/user/all/richmenu/{menu_id}")[0] == 200
    page = emulator.call("GET", "/emulator/")[1].decode("utf-8")
    ids = ",".join(re.findall(r'id="([^"]+)"', page))
    command = ["node", str(Path(__file__).parent / "chat_harness.js"), str(STATIC), f"{emulator.url}/emulator/", ids]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["chips"] == ["はい", "予約"] and seen["friend"] == "友だち"
    expected = [
        "system: 友だち追加しました",
        "row bot: 友だち追加ありがとうございます",
        "row user: 予約",
        "row bot: postback a=book None",
        "row user: こんにちは<b>",
        "row bot: 「こんにちは<b>」ですね",
        "row bot: ほかにありますか？",
        "row user: 相談",
        "row bot: postback a=talk None",
    ]
    assert len(seen["chat"]) == len(expected)
    assert all(line.startswith(prefix) for line, prefix in zip(seen["chat"], expected, strict=True)), seen["chat"]
    assert seen["status"] == "Webhook 200"
    assert seen["areas"] == ["相談", "営業時間"] and seen["chatBar"] == "メニュー ▾"
