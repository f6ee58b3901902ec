"""Units of the emulator: the discriminator-aware schema compiler, the limits, ids, signatures and the store."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator
from linebot.v3 import SignatureValidator

from bot.line.emulator import limits, schema, webhook_sender
from bot.line.emulator.store import EmulatorStore


def test_discriminators_dispatch_on_type_and_reject_unknown_types():
    spec = {
        "Pet": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string"}},
            "discriminator": {"propertyName": "type", "mapping": {"cat": "#/components/schemas/Cat"}},
        },
        "Cat": {
            "allOf": [
                {"$ref": "#/components/schemas/Pet"},
                {
                    "type": "object",
                    "required": ["meow"],
                    "properties": {"meow": {"type": "string", "nullable": True, "maxLength": 3}},
                },
            ]
        },
    }
    compiled = schema.compile_schemas(spec)
    assert compiled["Cat"]["allOf"][0] == {"$ref": "#/components/schemas/Pet__base"}
    assert compiled["Cat"]["allOf"][1]["properties"]["meow"]["type"] == ["string", "null"]
    assert "discriminator" not in compiled["Pet__base"]

    def errors(instance):
        validator = Draft202012Validator({"$ref": "#/components/schemas/Pet", "components": {"schemas": compiled}})
        return sorted(e.message for e in validator.iter_errors(instance))

    assert errors({"type": "cat", "meow": None}) == []
    assert errors({"type": "cat"}) == ["'meow' is a required property"]
    assert errors({"type": "dog"}) == ["'dog' is not one of ['cat']"]
    assert errors({"type": "cat", "meow": "meow"}) == ["'meow' is too long"]


def test_spec_schemas_resolve_nested_discriminators():
    flex = {
        "type": "flex",
        "altText": "a",
        "contents": {
            "type": "carousel",
            "contents": [
                {
                    "type": "bubble",
                    "body": {
                        "type": "box",
                        "layout": "vertical",
                        "contents": [
                            {"type": "button", "action": {"type": "teleport"}},
                            {"type": "box", "layout": "diagonal", "contents": []},
                        ],
                    },
                }
            ],
        },
    }
    details = schema.errors("messaging-api.yml", "ValidateMessageRequest", {"messages": [flex]})
    assert details == [
        {
            "message": "must be one of: camera, cameraRoll, clipboard, datetimepicker, location, message, postback, "
            "richmenuswitch, uri",
            "property": "messages[0].contents.contents[0].body.contents[0].action.type",
        },
        {
            "message": "must be one of: horizontal, vertical, baseline",
            "property": "messages[0].contents.contents[0].body.contents[1].layout",
        },
    ]


def test_utf16_length_counts_surrogate_pairs_twice():
    assert limits.utf16_len("あいう") == 3
    assert limits.utf16_len("😀") == 2
    ok = {"type": "text", "text": "😀" * 2500}
    assert limits.check_messages([ok], ["messages"]) == []
    assert limits.check_messages([{**ok, "text": ok["text"] + "a"}], ["messages"])[0]["property"] == "messages[0].text"


def test_action_label_limits_depend_on_where_the_action_is():
    def label_errors(message):
        return [d["property"] for d in limits.check_messages([message], ["m"])]

    carousel = {
        "type": "template",
        "altText": "a",
        "template": {
            "type": "image_carousel",
            "columns": [
                {
                    "imageUrl": "https://example.com/a.png",
                    "action": {"type": "uri", "label": "x" * 13, "uri": "https://a"},
                }
            ],
        },
    }
    assert label_errors(carousel) == ["m[0].template.columns[0].action.label"]
    buttons = {
        "type": "template",
        "altText": "a",
        "template": {"type": "buttons", "text": "t", "actions": [{"type": "uri", "uri": "javascript:alert(1)"}]},
    }
    assert label_errors(buttons) == ["m[0].template.actions[0].label", "m[0].template.actions[0].uri"]
    flex = {
        "type": "flex",
        "altText": "a",
        "contents": {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [
                    {"type": "text", "text": "t", "action": {"type": "message", "label": "x" * 40, "text": "t"}}
                ],
            },
        },
    }
    assert label_errors(flex) == []


def test_rich_menu_limits():
    menu = {
        "size": {"width": 2500, "height": 1686},
        "selected": False,
        "name": "n",
        "chatBarText": "c",
        "areas": [{"bounds": {}, "action": {"type": "postback", "data": "x"}}] * 21,
    }
    assert [d["property"] for d in limits.check_rich_menu(menu)] == ["areas"]
    assert [d["property"] for d in limits.check_rich_menu({"size": {"width": 2500, "height": 2500}})] == [
        "size",
        "selected",
        "name",
        "chatBarText",
        "areas",
    ]


def test_event_ids_are_ulids_and_destination_is_a_bot_user_id():
    ids = {webhook_sender.event_id() for _ in range(200)}
    assert len(ids) == 200 and all(re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", i) for i in ids)
    assert re.fullmatch(r"U[0-9a-f]{32}", webhook_sender.destination("secret"))
    body = '{"events": [], "text": "日本語"}'
    assert SignatureValidator("secret").validate(body, webhook_sender.sign(body.encode(), "secret"))


def test_store_waits_for_a_reply_and_wakes_on_refusal():
    store = EmulatorStore(reply_token_ttl=60)
    token = store.issue_reply_token("U1")
    assert store.wait_for_reply(token, 0.01) == []
    store.reject_reply(token, "bad")
    assert store.wait_for_reply(token, 5) == []
    other = store.issue_reply_token("U1")
    assert store.redeem_reply_token(other, [{"type": "text", "text": "x"}])[0] is None
    assert store.wait_for_reply(other, 5) == [{"type": "text", "text": "x"}]
    assert store.redeem_reply_token(other, [{"type": "text", "text": "x"}])[0] == "reply token already used"


def test_a_webhook_answer_cut_off_mid_body_counts_as_not_delivered():
    """The bot's process dies after its status line and before the body (kill -9): no status, nothing raised."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))

    def answer_then_die():
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
        connection.close()

    thread = threading.Thread(target=answer_then_die, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/callback"
    try:
        assert webhook_sender.post(url, b"{}", "signature", timeout=5) is None
    finally:
        thread.join(timeout=5)
        server.close()
