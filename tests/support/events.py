"""Builders for signed LINE webhook bodies, as LINE would send them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


def sign(body: str, secret: str = SECRET) -> str:
    """X-Line-Signature for a body."""
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def event(
    kind: str = "message",
    user_id: str = "U" + "0" * 32,
    event_id: str | None = None,
    redelivery: bool = False,
    **fields,
) -> dict:
    """One webhook event of `kind` from a user."""
    data = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or uuid.uuid4().hex[:26].upper(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if kind in ("message", "follow", "postback", "join"):
        data["replyToken"] = uuid.uuid4().hex
    data.update(fields)
    return data


def text_event(text: str, **kwargs) -> dict:
    """A text message event."""
    return event(
        "message",
        message={"type": "text", "id": str(uuid.uuid4().int)[:18], "text": text, "quoteToken": uuid.uuid4().hex},
        **kwargs,
    )


def body(*events: dict) -> str:
    """A webhook body (destination + events)."""
    return json.dumps({"destination": "U" + "f" * 32, "events": list(events)}, ensure_ascii=False)
