"""LINE message objects → a plain view model the templates draw as LINE shows them (never raw HTML)."""

from __future__ import annotations

from dataclasses import dataclass, field

SIZES = frozenset({"xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl"})


@dataclass
class Block:
    """One line of a flex bubble: a text (with size/weight/muted classes) or a button label."""

    kind: str  # text | button | image | other
    text: str
    classes: str = ""


@dataclass
class Bubble:
    """One message: a plain text bubble or a flex bubble's body and footer blocks."""

    kind: str  # text | flex | other
    text: str = ""
    body: list[Block] = field(default_factory=list)
    footer: list[Block] = field(default_factory=list)
    alt: str = ""


@dataclass
class Preview:
    """What the resident sees: the bubbles, and the quick-reply chips of the last message."""

    bubbles: list[Bubble]
    chips: list[str]


def render_messages(messages: list[dict]) -> Preview:
    """The view model of a reply (at most five messages)."""
    bubbles = [_bubble(m) for m in messages]
    last = messages[-1] if messages else {}
    chips = [item["action"].get("label", "") for item in (last.get("quickReply") or {}).get("items", [])]
    return Preview(bubbles, chips)


def _bubble(message: dict) -> Bubble:
    kind = message.get("type")
    if kind == "text":
        return Bubble("text", text=message.get("text", ""))
    if kind == "flex":
        contents = message.get("contents") or {}
        return Bubble(
            "flex",
            body=_blocks(contents.get("body")),
            footer=_blocks(contents.get("footer")),
            alt=message.get("altText", ""),
        )
    return Bubble("other", text=f"[{kind}]")


def _blocks(node) -> list[Block]:
    if not isinstance(node, dict):
        return []
    kind = node.get("type")
    if kind == "box":
        return [b for child in node.get("contents") or [] for b in _blocks(child)]
    if kind == "text":
        return [Block("text", node.get("text", ""), _classes(node))]
    if kind == "button":
        style = "primary" if node.get("style") == "primary" else "link"
        return [Block("button", (node.get("action") or {}).get("label", ""), f"btn-{style}")]
    if kind == "image":
        return [Block("image", "[画像]")]
    return []


def _classes(node: dict) -> str:
    size = node.get("size") if node.get("size") in SIZES else "md"
    classes = [f"size-{size}"]
    if node.get("weight") == "bold":
        classes.append("bold")
    if node.get("color"):
        classes.append("muted")
    return " ".join(classes)
