"""Builds LINE message objects (plain JSON dicts) from plain data; LINE's limits are enforced here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlencode

MAX_MESSAGES = 5
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_TEXT = 5000
MAX_DATA = 300
MAX_ALT_TEXT = 1500


@dataclass(frozen=True)
class Choice:
    """A button or quick-reply chip: sends `text`, or a postback with `data` (shown as `label`)."""

    label: str
    text: str | None = None
    data: dict[str, str] | None = None

    def action(self) -> dict:
        """The LINE action object for this choice."""
        label = clip(self.label, MAX_LABEL)
        if self.data is not None:
            items = tuple(self.data.items())
            data = _encoded(items) if all(isinstance(v, str | int | None) for _, v in items) else urlencode(items)
            if len(data) > MAX_DATA:
                raise ValueError(f"postback data over {MAX_DATA} characters: {data[:40]}...")
            return {"type": "postback", "label": label, "data": data, "displayText": clip(self.label, 300)}
        return {"type": "message", "label": label, "text": clip(self.text or self.label, 300)}


@lru_cache(maxsize=4096)
def _encoded(items: tuple) -> str:
    """A postback's data as a query string (the same few chips are built for every reply: kept)."""
    return urlencode(items)


def clip(text: str, limit: int) -> str:
    """Shorten text to at most `limit` UTF-16 code units, marking the cut with an ellipsis."""
    if utf16_len(text) <= limit:
        return text
    out = ""
    for ch in text:
        if utf16_len(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def utf16_len(text: str) -> int:
    """Length as LINE counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def quick_reply(choices: list[Choice]) -> dict | None:
    """A quickReply object with at most 13 items, or None; the last choice (「最初に戻る」) is always kept."""
    if not choices:
        return None
    if len(choices) > MAX_QUICK_REPLIES:
        choices = [*choices[: MAX_QUICK_REPLIES - 1], choices[-1]]
    return {"items": [{"type": "action", "action": c.action()} for c in choices]}


def text(body: str, choices: list[Choice] | None = None) -> dict:
    """A text message, optionally with quick-reply chips."""
    message = {"type": "text", "text": clip(body, MAX_TEXT)}
    qr = quick_reply(choices or [])
    if qr:
        message["quickReply"] = qr
    return message


@dataclass
class Card:
    """An answer card: title, body, an optional small footnote (the source) and buttons."""

    title: str
    body: str
    footnote: str | None = None
    buttons: list[Choice] = field(default_factory=list)


def card(c: Card, choices: list[Choice] | None = None) -> dict:
    """A flex bubble for an answer, with alt text that carries the whole answer."""
    contents: list[dict] = [
        {"type": "text", "text": clip(c.title, 200), "weight": "bold", "size": "md", "wrap": True},
        {"type": "text", "text": clip(c.body, 2000), "size": "sm", "wrap": True, "margin": "md"},
    ]
    if c.footnote:
        contents.append(
            {
                "type": "text",
                "text": clip(c.footnote, 300),
                "size": "xxs",
                "color": "#888888",
                "wrap": True,
                "margin": "md",
            }
        )
    bubble: dict = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": contents}}
    if c.buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {"type": "button", "style": "link", "height": "sm", "action": b.action()} for b in c.buttons[:4]
            ],
        }
    alt = clip(f"{c.title}\n{c.body}", MAX_ALT_TEXT)
    message = {"type": "flex", "altText": alt, "contents": bubble}
    qr = quick_reply(choices or [])
    if qr:
        message["quickReply"] = qr
    return message


def option_list(heading: str, options: list[Choice], choices: list[Choice] | None = None) -> dict:
    """A flex bubble listing options in full (each row tappable, wrapped, not cut at a chip's 20 characters)."""
    rows: list[dict] = [{"type": "text", "text": clip(heading, 200), "weight": "bold", "size": "sm", "wrap": True}]
    for option in options[:5]:
        rows.append({"type": "separator", "margin": "md"})
        rows.append(
            {
                "type": "box",
                "layout": "horizontal",
                "margin": "md",
                "action": option.action(),
                "contents": [
                    {"type": "text", "text": "▶", "size": "sm", "color": "#06c755", "flex": 0},
                    {"type": "text", "text": clip(option.label, 200), "size": "md", "wrap": True, "color": "#1a5fb4"},
                ],
                "spacing": "sm",
            }
        )
    alt = clip("\n".join([heading, *(f"・{o.label}" for o in options[:5])]), MAX_ALT_TEXT)
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": rows}}
    message = {"type": "flex", "altText": alt, "contents": bubble}
    qr = quick_reply(choices or [])
    if qr:
        message["quickReply"] = qr
    return message


def visible_text(message: dict) -> str:
    """All human-visible text of a message object: text, flex text, alt text and labels."""
    parts: list[str] = []
    if message.get("type") == "text":
        parts.append(message["text"])
    if message.get("altText"):
        parts.append(message["altText"])
    if message.get("type") == "flex":
        parts.extend(_flex_text(message["contents"]))
    for item in (message.get("quickReply") or {}).get("items", []):
        parts.append(item["action"].get("label", ""))
    return "\n".join(p for p in parts if p)


def _flex_text(node) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "text" and "text" in node:
            out.append(node["text"])
        if node.get("type") == "button":
            out.append(node["action"].get("label", ""))
        for value in node.values():
            if isinstance(value, dict | list):
                out.extend(_flex_text(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_flex_text(value))
    return out
