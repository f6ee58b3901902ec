"""Turns a webhook event (parsed by the SDK) into a small `Inbound` value the dispatcher understands."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    JoinEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

from bot.platform.db import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    """One event from LINE, reduced to what the bot acts on."""

    kind: str  # follow | unfollow | join | text | postback | media | other
    webhook_event_id: str
    event_type: str
    user_id: str | None
    source_type: str
    reply_token: str | None
    timestamp: datetime
    is_redelivery: bool = False
    standby: bool = False
    text: str | None = None
    message_type: str | None = None
    message_id: str | None = None
    data: str | None = None
    params: dict = field(default_factory=dict)


def parse_event(raw: dict) -> Inbound | None:
    """Parse one raw event with the SDK; what the SDK cannot read becomes "other" (a message: "text" or "media").

    Stored strings are made storable everywhere (`clean_text`) and cut to their column's length.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("webhookEventId"), str) or not raw["webhookEventId"]:
        log.warning("webhook event without webhookEventId ignored")
        return None
    if (plain := _plain_text(raw)) is not None:
        return plain
    try:
        event = Event.from_dict(raw)
    except Exception:  # the SDK raises assorted errors on types it does not know or malformed events
        event = None
    if event is None:
        log.info("event of unknown or malformed type %r: not handled", str(raw.get("type"))[:40])
        return _from_raw(raw)
    source = getattr(event, "source", None)
    delivery = getattr(event, "delivery_context", None)
    mode = getattr(event, "mode", None)
    base = {
        "webhook_event_id": event.webhook_event_id,
        "event_type": str(raw.get("type", "unknown"))[:40],
        "user_id": getattr(source, "user_id", None),
        "source_type": getattr(source, "type", None) or "unknown",
        "reply_token": getattr(event, "reply_token", None),
        "timestamp": _timestamp(event.timestamp),
        "is_redelivery": bool(getattr(delivery, "is_redelivery", False)),
        "standby": getattr(mode, "value", mode) == "standby",
    }
    return _sanitised(Inbound(kind=_kind(event), **base, **_content(event)))


_TEXT_KEYS = {"type", "id", "text", "quoteToken", "markAsReadToken"}


def _plain_text(raw: dict) -> Inbound | None:
    """A user's plain text message (most events) read without the SDK's models (about 0.2 ms of CPU), when every
    field is one the SDK reads as such; None for anything else (emojis, a mention, a quote, another source, an odd
    value), which the SDK then parses. Gives the same Inbound as the SDK's path (tests/bot/test_webhook.py)."""
    message, source, delivery = raw.get("message"), raw.get("source"), raw.get("deliveryContext")
    if (
        raw.get("type") != "message"
        or raw.get("mode") not in ("active", "standby")
        or type(raw.get("timestamp")) is not int
    ):
        return None
    if not (isinstance(message, dict) and isinstance(source, dict) and isinstance(delivery, dict)):
        return None
    if message.get("type") != "text" or not message.keys() <= _TEXT_KEYS or not all(
        isinstance(message.get(key), str) for key in ("id", "text", "quoteToken")
    ) or not isinstance(message.get("markAsReadToken", ""), str):  # fmt: skip
        return None
    if source.keys() != {"type", "userId"} or source["type"] != "user" or not isinstance(source["userId"], str):
        return None
    token = raw.get("replyToken")
    if delivery.keys() != {"isRedelivery"} or type(delivery["isRedelivery"]) is not bool or not isinstance(token, str):
        return None
    return _sanitised(
        Inbound(
            kind="text",
            webhook_event_id=raw["webhookEventId"],
            event_type="message",
            user_id=source["userId"],
            source_type="user",
            reply_token=token,
            timestamp=_timestamp(raw["timestamp"]),
            is_redelivery=delivery["isRedelivery"],
            standby=raw["mode"] == "standby",
            text=message["text"],
            message_type="text",
            message_id=message["id"],
        )
    )


def _from_raw(raw: dict) -> Inbound:
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    delivery = raw.get("deliveryContext") if isinstance(raw.get("deliveryContext"), dict) else {}
    user_id = source.get("userId") if isinstance(source.get("userId"), str) else None
    token = raw.get("replyToken") if isinstance(raw.get("replyToken"), str) else None
    message = raw.get("message") if raw.get("type") == "message" and isinstance(raw.get("message"), dict) else {}
    text = message.get("text") if message.get("type") == "text" else None
    content = {"message_type": "text", "text": text} if isinstance(text, str) else {}  # a text is never lost
    if isinstance(message.get("id"), str):
        content["message_id"] = message["id"]
    kind = "text" if content.get("text") is not None else "media"
    return _sanitised(
        Inbound(
            kind=kind if raw.get("type") == "message" and user_id else "other",
            webhook_event_id=raw["webhookEventId"][:64],
            event_type=str(raw.get("type", "unknown"))[:40],
            user_id=user_id[:64] if user_id else None,
            source_type=str(source.get("type") or "unknown")[:20],
            reply_token=token,
            timestamp=_timestamp(raw.get("timestamp")),
            is_redelivery=delivery.get("isRedelivery") is True,
            standby=raw.get("mode") == "standby",
            **content,
        )
    )


# The longest value each field takes (ids from LINE are far shorter than their columns; anything longer is not LINE's).
MAX_LENGTHS = {
    "webhook_event_id": 64,
    "event_type": 40,
    "user_id": 64,
    "source_type": 20,
    "reply_token": 128,
    "message_type": 20,
    "message_id": 64,
    # What LINE itself allows (a text message 5,000 characters, postback data 300): anything longer is not from
    # LINE, and cutting it here keeps every later step (understanding, retrieval, the transcript) bounded.
    "text": 5000,
    "data": 300,
}


def clean_text(value: str) -> str:
    """Text every database stores: NUL and lone surrogates (possible through JSON escapes) become U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _sanitised(inbound: Inbound) -> Inbound:
    changes: dict = {}
    for f in fields(inbound):
        value = getattr(inbound, f.name)
        if isinstance(value, str):
            value = clean_text(value)[: MAX_LENGTHS.get(f.name)]
            if value != getattr(inbound, f.name):
                changes[f.name] = value
    if inbound.params:
        changes["params"] = {
            clean_text(str(k)): clean_text(v) if isinstance(v, str) else v for k, v in inbound.params.items()
        }
    return replace(inbound, **changes) if changes else inbound


def _timestamp(value) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return utcnow()


def _kind(event: Event) -> str:
    if isinstance(event, FollowEvent):
        return "follow"
    if isinstance(event, UnfollowEvent):
        return "unfollow"
    if isinstance(event, JoinEvent):
        return "join"
    if isinstance(event, PostbackEvent):
        return "postback"
    if isinstance(event, MessageEvent):
        return "text" if isinstance(event.message, TextMessageContent) else "media"
    return "other"


def _content(event: Event) -> dict:
    if isinstance(event, MessageEvent):
        message = event.message
        out = {"message_type": getattr(message, "type", None), "message_id": getattr(message, "id", None)}
        if isinstance(message, TextMessageContent):
            out["text"] = message.text or ""
        return out
    if isinstance(event, PostbackEvent) and event.postback is not None:
        return {"data": event.postback.data or "", "params": dict(event.postback.params or {})}
    return {}
