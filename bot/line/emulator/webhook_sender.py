"""Builds webhook events as LINE does, signs them with the channel secret and POSTs them to the bot."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request

from bot.line.emulator.store import EmulatorStore

log = logging.getLogger(__name__)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REPLYABLE = frozenset({"message", "follow", "postback", "join", "memberJoined", "beacon", "accountLink", "things"})
STICKER_TYPES = ("STATIC", "ANIMATION", "SOUND", "ANIMATION_SOUND", "POPUP", "POPUP_SOUND")


def event_id() -> str:
    """A 26-character ULID: 48-bit millisecond time and 80 random bits in Crockford base32."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def destination(secret: str) -> str:
    """The bot's user ID (U + 32 hex digits), stable for a channel secret."""
    return "U" + hashlib.sha256(f"destination:{secret}".encode()).hexdigest()[:32]


def sign(body: bytes, secret: str) -> str:
    """X-Line-Signature: base64 HMAC-SHA256 of the raw body keyed with the channel secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def message_content(payload: dict, message_id: str) -> dict:
    """The webhook `message` object for what a user sends (text, sticker, image, location)."""
    kind = payload.get("type", "text")
    base = {"id": message_id, "type": kind}
    if kind == "text":
        text = payload.get("text")
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string")
        return {**base, "text": text, "quoteToken": secrets.token_urlsafe(24)}
    if kind == "sticker":
        resource = payload.get("stickerResourceType", "STATIC")
        if resource not in STICKER_TYPES:
            raise ValueError(f"stickerResourceType must be one of {', '.join(STICKER_TYPES)}")
        ids = {"packageId": str(payload.get("packageId", "446")), "stickerId": str(payload.get("stickerId", "1988"))}
        return {**base, **ids, "stickerResourceType": resource, "quoteToken": secrets.token_urlsafe(24)}
    if kind == "image":
        return {**base, "contentProvider": {"type": "line"}, "quoteToken": secrets.token_urlsafe(24)}
    if kind == "location":
        try:
            position = {"latitude": float(payload["latitude"]), "longitude": float(payload["longitude"])}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("location needs numeric latitude and longitude") from exc
        texts = {k: str(payload[k]) for k in ("title", "address") if payload.get(k)}
        return {**base, **texts, **position}
    raise ValueError("type must be text, sticker, image or location")


def make_event(store: EmulatorStore, kind: str, user_id: str, **fields) -> dict:
    """A new event from a user (with a reply token where LINE gives one), remembered in the store."""
    event = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id(),
        "deliveryContext": {"isRedelivery": False},
    }
    if kind in REPLYABLE:
        event["replyToken"] = store.issue_reply_token(user_id)
    event.update(fields)
    store.record_event(event, user_id)
    return event


def redelivery(store: EmulatorStore, webhook_event_id: str) -> dict | None:
    """The stored event again: same webhookEventId, isRedelivery true and a fresh reply token; None if unknown."""
    record = store.event(webhook_event_id)
    if record is None:
        return None
    event = record["event"]
    event["deliveryContext"] = {"isRedelivery": True}
    if "replyToken" in event:
        event["replyToken"] = store.issue_reply_token(record["userId"])
    store.record_event(event, record["userId"])
    return event


def deliver(store: EmulatorStore, url: str, secret: str, event: dict, timeout: float) -> int | None:
    """POST one signed event to the webhook URL; returns (and records) the HTTP status, None if unreachable."""
    body = json.dumps({"destination": destination(secret), "events": [event]}, ensure_ascii=False).encode()
    status = post(url, body, sign(body, secret), timeout)
    store.set_event_status(event["webhookEventId"], status)
    return status


def post(url: str, body: bytes, signature: str, timeout: float) -> int | None:
    """POST a webhook body; the HTTP status, or None when the bot could not be reached or its answer was cut off
    (a process killed while it answered): LINE counts neither as delivered."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook URL must be http(s): {url}")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Line-Signature": signature,
        "User-Agent": "LineBotWebhook/2.0",
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        exc.close()
        return exc.code
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:  # HTTPException: an answer cut off
        log.warning("webhook %s unreachable: %s", url, exc)
        return None
