"""The preview view model: LINE message objects drawn as LINE shows them."""

from __future__ import annotations

from admin.content.preview import render_messages
from bot.line import messages as m


def test_a_card_and_a_text_with_chips():
    card = m.card(m.Card("質問", "回答\n2行目", "出典: 法", [m.Choice("相談を予約", data={"a": "book"})]))
    text = m.text("役に立ちましたか？", [m.Choice("はい", text="はい"), m.Choice("いいえ", text="いいえ")])
    preview = render_messages([card, text])
    flex, bubble = preview.bubbles
    assert [(b.text, b.classes) for b in flex.body] == [
        ("質問", "size-md bold"),
        ("回答\n2行目", "size-sm"),
        ("出典: 法", "size-xxs muted"),
    ]
    assert [b.text for b in flex.footer] == ["相談を予約"] and bubble.text == "役に立ちましたか？"
    assert preview.chips == ["はい", "いいえ"]


def test_only_the_last_messages_chips_show_and_unknown_sizes_fall_back():
    first = m.text("一", [m.Choice("古いチップ", text="x")])
    odd = {
        "type": "flex",
        "altText": "a",
        "contents": {
            "type": "bubble",
            "body": {
                "type": "box",
                "contents": [
                    {"type": "text", "text": "t", "size": "url(javascript:x)"},
                    {"type": "image", "url": "https://x"},
                ],
            },
        },
    }
    preview = render_messages([first, odd, {"type": "sticker"}])
    assert preview.chips == []
    assert preview.bubbles[1].body[0].classes == "size-md" and preview.bubbles[1].body[1].text == "[画像]"
    assert preview.bubbles[2].text == "[sticker]"
