"""The Messaging API mock checks requests as LINE does and logs every invalid one as a violation."""

from __future__ import annotations

import json
import re
import time

import pytest
from linebot.v3.messaging import (
    ApiException,
    MessageAction,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)

from tests.emulator.fakebot import MENU, USER, png

RETRY_KEY = "123e4567-e89b-12d3-a456-426614174000"


def reply_token(emulator) -> str:
    """A fresh reply token, as if issued with a webhook event from USER."""
    return emulator.store.issue_reply_token(USER)


def text(body: str) -> dict:
    return {"type": "text", "text": body}


def sdk_error(call) -> ApiException:
    with pytest.raises(ApiException) as info:
        call()
    return info.value


def test_reply_token_is_single_use(emulator):
    emulator.user(USER, "follow")
    used = emulator.bot.events()[0]["replyToken"]
    with emulator.bot.api_client() as client:
        request = ReplyMessageRequest(replyToken=used, messages=[TextMessage(text="二度目")])
        error = sdk_error(lambda: MessagingApi(client).reply_message(request))
    assert error.status == 400 and json.loads(error.body) == {"message": "Invalid reply token"}
    violation = emulator.store.violations[-1]
    assert violation["endpoint"] == "POST /v2/bot/message/reply" and violation["status"] == 400
    assert "already used" in violation["error"] and violation["body"]["replyToken"] == used
    status, listed, _ = emulator.call("GET", "/emulator/api/violations")
    assert listed["violations"][-1]["error"] == violation["error"]


def test_unknown_and_expired_reply_tokens_are_invalid(emulator):
    assert emulator.line("POST", "/v2/bot/message/reply", {"replyToken": "f" * 32, "messages": [text("x")]})[:2] == (
        400,
        {"message": "Invalid reply token"},
    )
    emulator.store.reply_token_ttl = 0.2
    token = reply_token(emulator)
    time.sleep(0.3)
    with emulator.bot.api_client() as client:
        request = ReplyMessageRequest(replyToken=token, messages=[TextMessage(text="遅すぎ")])
        error = sdk_error(lambda: MessagingApi(client).reply_message(request))
    assert error.status == 400 and json.loads(error.body)["message"] == "Invalid reply token"
    assert "expired" in emulator.store.violations[-1]["error"]
    assert emulator.call("GET", f"/emulator/api/users/{USER}/inbox")[1] == {"messages": []}


INVALID = {
    "six messages": ([text(str(i)) for i in range(6)], "messages", "Size must be between 1 and 5"),
    "fourteen quick replies": (
        [
            {
                **text("q"),
                "quickReply": {
                    "items": [
                        {"type": "action", "action": {"type": "message", "label": f"{i}", "text": f"{i}"}}
                        for i in range(14)
                    ]
                },
            }
        ],
        "messages[0].quickReply.items",
        "Size must be between 0 and 13",
    ),
    "21-character label": (
        [
            {
                **text("q"),
                "quickReply": {
                    "items": [{"type": "action", "action": {"type": "message", "label": "あ" * 21, "text": "a"}}]
                },
            }
        ],
        "messages[0].quickReply.items[0].action.label",
        "Length must be between 1 and 20",
    ),
    "unknown message type": ([{"type": "txt", "text": "x"}], "messages[0].type", "must be one of"),
    "5,001 UTF-16 units": ([text("a" * 4999 + "😀")], "messages[0].text", "Length must be between 1 and 5000"),
    "postback data over 300": (
        [
            {
                "type": "template",
                "altText": "a",
                "template": {
                    "type": "confirm",
                    "text": "t",
                    "actions": [
                        {"type": "postback", "label": "はい", "data": "d" * 301},
                        {"type": "message", "label": "いいえ", "text": "いいえ"},
                    ],
                },
            }
        ],
        "messages[0].template.actions[0].data",
        "Length must be between 0 and 300",
    ),
    "altText over 1,500": (
        [{"type": "flex", "altText": "あ" * 1501, "contents": {"type": "bubble"}}],
        "messages[0].altText",
        "Length must be between 1 and 1500",
    ),
    "thirteen bubbles": (
        [{"type": "flex", "altText": "a", "contents": {"type": "carousel", "contents": [{"type": "bubble"}] * 13}}],
        "messages[0].contents.contents",
        "Size must be between 1 and 12",
    ),
    "flex button label over 40": (
        [
            {
                "type": "flex",
                "altText": "a",
                "contents": {
                    "type": "bubble",
                    "footer": {
                        "type": "box",
                        "layout": "vertical",
                        "contents": [{"type": "button", "action": {"type": "message", "label": "x" * 41, "text": "x"}}],
                    },
                },
            }
        ],
        "messages[0].contents.footer.contents[0].action.label",
        "Length must be between 1 and 40",
    ),
    "unknown flex component": (
        [
            {
                "type": "flex",
                "altText": "a",
                "contents": {
                    "type": "bubble",
                    "body": {"type": "box", "layout": "vertical", "contents": [{"type": "paragraph"}]},
                },
            }
        ],
        "messages[0].contents.body.contents[0].type",
        "must be one of",
    ),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_invalid_messages_get_lines_error_shape_and_a_violation(emulator, case):
    messages, prop, message = INVALID[case]
    token = reply_token(emulator)
    status, body, _ = emulator.line("POST", "/v2/bot/message/reply", {"replyToken": token, "messages": messages})
    assert status == 400
    assert re.fullmatch(r"The request body has \d+ error\(s\)", body["message"])
    detail = next(d for d in body["details"] if d["property"] == prop)
    assert detail["message"].startswith(message)
    violation = emulator.store.violations[-1]
    assert violation["details"] == body["details"] and violation["body"]["messages"] == messages
    status, good, _ = emulator.line("POST", "/v2/bot/message/reply", {"replyToken": token, "messages": [text("ok")]})
    assert status == 200 and good["sentMessages"][0]["id"]


def test_limits_are_checked_through_the_sdk_too(emulator):
    token = reply_token(emulator)
    long_label = QuickReply(items=[QuickReplyItem(action=MessageAction(label="x" * 21, text="x"))])
    request = ReplyMessageRequest(replyToken=token, messages=[TextMessage(text="t", quickReply=long_label)])
    with emulator.bot.api_client() as client:
        error = sdk_error(lambda: MessagingApi(client).reply_message(request))
    assert error.status == 400
    assert json.loads(error.body)["details"] == [
        {"message": "Length must be between 1 and 20", "property": "messages[0].quickReply.items[0].action.label"}
    ]


@pytest.mark.parametrize(
    ("token", "message"),
    [("wrong-token", "Authentication failed"), (None, "Authorization header required")],
)
def test_a_bad_bearer_token_is_refused(emulator, token, message):
    status, body, headers = emulator.line(
        "POST", "/v2/bot/message/push", {"to": USER, "messages": [text("x")]}, token=token
    )
    assert status == 401 and body["message"].startswith(message) and headers["X-Line-Request-Id"]
    assert emulator.store.violations[-1]["status"] == 401
    assert emulator.call("GET", f"/emulator/api/users/{USER}/inbox")[1] == {"messages": []}


def test_push_with_the_same_retry_key_is_delivered_once(emulator):
    request = PushMessageRequest(to=USER, messages=[TextMessage(text="リマインダー")])
    with emulator.bot.api_client() as client:
        api = MessagingApi(client)
        first = api.push_message(request, x_line_retry_key=RETRY_KEY)
        error = sdk_error(lambda: api.push_message(request, x_line_retry_key=RETRY_KEY))
    assert error.status == 409 and json.loads(error.body)["message"] == "The retry key is already accepted"
    assert error.headers["X-Line-Accepted-Request-Id"]
    inbox = emulator.call("GET", f"/emulator/api/users/{USER}/inbox")[1]["messages"]
    assert [(m["via"], m["message"]["text"]) for m in inbox] == [("push", "リマインダー")]
    assert first.sent_messages[0].id == json.loads(error.body)["sentMessages"][0]["id"]
    assert emulator.store.violations == []
    status, body, _ = emulator.line(
        "POST",
        "/v2/bot/message/push",
        {"to": USER, "messages": [text("x")]},
        headers={"X-Line-Retry-Key": "not-a-uuid"},
    )
    assert status == 400 and "UUID" in body["message"]


def test_multicast_loading_quota_and_profile_through_the_sdk(emulator):
    other = "U" + "2" * 32
    emulator.user(USER, "follow")
    with emulator.bot.api_client() as client:
        api = MessagingApi(client)
        api.multicast(MulticastRequest(to=[USER, other], messages=[TextMessage(text="全員へ")]))
        api.show_loading_animation(ShowLoadingAnimationRequest(chatId=USER, loadingSeconds=10))
        assert api.get_message_quota().type == "none"
        assert api.get_message_quota_consumption().total_usage == 2
        assert api.get_profile(USER).display_name == "利用者 1111"
        assert sdk_error(lambda: api.get_profile("U" + "3" * 32)).status == 404
    inbox = emulator.call("GET", f"/emulator/api/users/{other}/inbox")[1]["messages"]
    assert [(m["via"], m["message"]["text"]) for m in inbox] == [("multicast", "全員へ")]
    status, body, _ = emulator.line("POST", "/v2/bot/chat/loading/start", {"chatId": USER, "loadingSeconds": 7})
    assert status == 400 and body["details"][0]["property"] == "loadingSeconds"
    assert [v["status"] for v in emulator.store.violations] == [400]


def test_rich_menu_lifecycle_through_the_sdk(emulator):
    with emulator.bot.api_client() as client:
        api, blob = MessagingApi(client), MessagingApiBlob(client)
        request = RichMenuRequest.from_dict(MENU)
        api.validate_rich_menu_object(request)
        menu_id = api.create_rich_menu(request).rich_menu_id
        assert sdk_error(lambda: api.set_default_rich_menu(menu_id)).status == 400  # no image yet
        blob.set_rich_menu_image(menu_id, png(2500, 843), _headers={"Content-Type": "image/png"})
        assert bytes(blob.get_rich_menu_image(menu_id)) == png(2500, 843)
        api.set_default_rich_menu(menu_id)
        assert api.get_default_rich_menu_id().rich_menu_id == menu_id
        assert [m.name for m in api.get_rich_menu_list().richmenus] == ["test-menu"]
        assert api.get_rich_menu(menu_id).chat_bar_text == "メニュー"
        status, seen, _ = emulator.call("GET", f"/emulator/api/richmenu/{USER}")
        assert seen["richMenu"]["richMenuId"] == menu_id and seen["richMenu"]["areas"] == MENU["areas"]
        status, image, headers = emulator.call("GET", seen["imageUrl"])
        assert status == 200 and headers.get_content_type() == "image/png" and image == png(2500, 843)
        second = api.create_rich_menu(request).rich_menu_id
        blob.set_rich_menu_image(second, png(2500, 843), _headers={"Content-Type": "image/png"})
        api.link_rich_menu_id_to_user(USER, second)
        assert api.get_rich_menu_id_of_user(USER).rich_menu_id == second
        assert emulator.call("GET", f"/emulator/api/richmenu/{USER}")[1]["richMenu"]["richMenuId"] == second
        api.unlink_rich_menu_id_from_user(USER)
        api.delete_rich_menu(menu_id)
        assert emulator.call("GET", f"/emulator/api/richmenu/{USER}")[1] == {"richMenu": None, "imageUrl": None}
    assert [v["error"] for v in emulator.store.violations] == ["must upload richmenu image before applying it to user"]


def test_rich_menu_objects_and_images_are_checked(emulator):
    bad = {**MENU, "size": {"width": 500, "height": 843}, "chatBarText": "あ" * 15}
    status, body, _ = emulator.line("POST", "/v2/bot/richmenu", bad)
    assert status == 400 and {d["property"] for d in body["details"]} == {"size", "chatBarText"}
    menu_id = emulator.line("POST", "/v2/bot/richmenu", MENU)[1]["richMenuId"]
    upload = f"/v2/bot/richmenu/{menu_id}/content"
    wrong_size = emulator.line("POST", upload, raw=png(800, 270), headers={"Content-Type": "image/png"})
    assert wrong_size[0] == 400 and wrong_size[1]["message"] == "The image does not match the rich menu"
    assert emulator.line("POST", upload, raw=b"GIF89a", headers={"Content-Type": "image/gif"})[0] == 400
    assert emulator.line("POST", upload, raw=png(2500, 843), headers={"Content-Type": "image/png"})[0] == 200
    again = emulator.line("POST", upload, raw=png(2500, 843), headers={"Content-Type": "image/png"})
    assert again[0] == 400 and "already" in again[1]["message"]
    assert emulator.line("GET", "/v2/bot/richmenu/richmenu-nope")[0] == 404
    assert len(emulator.store.violations) == 5
    assert emulator.store.violations[2]["body"] == "<6 bytes of image/gif>"


def test_reset_forgets_everything(emulator):
    emulator.user(USER, "follow")
    emulator.line("POST", "/v2/bot/message/push", {"to": USER, "messages": []})
    emulator.store.reset()
    assert emulator.store.violations == [] and emulator.store.users == {}
    assert emulator.call("GET", f"/emulator/api/users/{USER}/inbox")[1] == {"messages": []}


def test_endpoints_the_emulator_lacks_answer_404_and_are_logged(emulator):
    status, body, _ = emulator.line("GET", "/v2/bot/followers/ids")
    assert (status, body) == (404, {"message": "Not found"})
    assert emulator.store.violations[-1]["error"] == "Not found (GET /v2/bot/followers/ids is not emulated)"
    assert emulator.line("GET", f"/v2/bot/profile/{USER}")[0] == 404  # unknown user: LINE's 404, not a violation
    assert len(emulator.store.violations) == 1
