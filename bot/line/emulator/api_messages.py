"""Messaging API mock: reply, push, multicast, validate, profile, loading animation and quota."""

from __future__ import annotations

from flask import g, request

from bot.line.emulator.api import LineError, bp, retry_key, store, validated


@bp.post("/v2/bot/message/reply")
def reply():
    """Send with a reply token: single use, unexpired, issued by the emulator for a webhook event."""
    raw = request.get_json(silent=True)
    token = raw.get("replyToken") if isinstance(raw, dict) else None
    try:
        retry_key(allowed=False)
        body = validated("ReplyMessageRequest")
        error, sent = store().redeem_reply_token(body["replyToken"], body["messages"])
        if error:
            raise LineError(400, "Invalid reply token", note=error)
    except LineError as exc:
        if isinstance(token, str):
            store().reject_reply(token, exc.message)
        raise
    return {"sentMessages": sent}


@bp.post("/v2/bot/message/push")
def push():
    """Send to one user; a retry key accepted before answers 409 and delivers nothing."""
    key = retry_key(allowed=True)
    body = validated("PushMessageRequest")
    return _send([body["to"]], body["messages"], "push", key, with_ids=True)


@bp.post("/v2/bot/message/multicast")
def multicast():
    """Send to up to 500 users."""
    key = retry_key(allowed=True)
    body = validated("MulticastRequest")
    return _send(list(dict.fromkeys(body["to"])), body["messages"], "multicast", key, with_ids=False)


def _send(to: list[str], messages: list[dict], via: str, key: str | None, with_ids: bool) -> dict:
    delivery = store().send(to, messages, via, key, g.line_request_id)
    ids = {"sentMessages": delivery.sent} if with_ids else {}
    if delivery.accepted_request_id:
        headers = {"X-Line-Accepted-Request-Id": delivery.accepted_request_id}
        raise LineError(409, "The retry key is already accepted", violation=False, headers=headers, extra=ids)
    return ids


@bp.post("/v2/bot/message/validate/<kind>")
def validate_messages(kind: str):
    """Validate message objects as a reply, push, multicast, narrowcast or broadcast would."""
    if kind not in ("reply", "push", "multicast", "narrowcast", "broadcast"):
        raise LineError(404, "Not found")
    validated("ValidateMessageRequest")
    return {}


@bp.get("/v2/bot/profile/<user_id>")
def profile(user_id: str):
    """The emulated user's profile; 404 for a user the emulator has never seen."""
    with store().lock:
        user = store().users.get(user_id)
    if user is None:
        raise LineError(404, "Not found", violation=False)
    return {"userId": user.user_id, "displayName": user.display_name, "language": "ja"}


@bp.post("/v2/bot/chat/loading/start")
def loading():
    """Accept a loading animation request (5–60 s in steps of 5)."""
    body = validated("ShowLoadingAnimationRequest", messages_key=None)
    if body.get("loadingSeconds", 20) % 5:
        detail = {"message": "must be a multiple of 5", "property": "loadingSeconds"}
        raise LineError(400, "The request body has 1 error(s)", [detail])
    return {}, 202


@bp.get("/v2/bot/message/quota")
def quota():
    """No monthly target limit."""
    return {"type": "none"}


@bp.get("/v2/bot/message/quota/consumption")
def consumption():
    """Messages sent this month by push and multicast (replies are free)."""
    return {"totalUsage": store().consumption}
