"""The emulator's HTTP API: act as LINE users (follow, message, tap) and read what the bot sent them."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, make_response, request, url_for

from bot.line.emulator import webhook_sender
from bot.line.emulator.store import EmulatorStore

bp = Blueprint("api", __name__, url_prefix="/api")
WEBHOOK_TIMEOUT = 30.0
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _store() -> EmulatorStore:
    return current_app.extensions["line_emulator"]


def _bad_request(message: str):
    return make_response(jsonify({"error": message}), 400)


@bp.before_request
def _same_origin_json():
    """State-changing calls come from this origin with a JSON body: another web page could otherwise drive a
    running demo with a `text/plain` POST (no preflight). Empty bodies need no type; tools without Origin pass."""
    if request.method not in UNSAFE_METHODS:
        return None
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        return make_response(jsonify({"error": "cross-origin requests are refused"}), 403)
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        return make_response(jsonify({"error": "cross-site requests are refused"}), 403)
    if request.content_length and request.mimetype != "application/json":
        return make_response(jsonify({"error": "send the body as Content-Type: application/json"}), 415)
    return None


def _payload() -> dict:
    """The JSON object body (application/json, checked before the view); {} when empty."""
    if not request.get_data():
        return {}
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        abort(_bad_request("the body must be a JSON object"))
    return data


def _exchange(event: dict) -> dict:
    """Send an event to the bot and collect what it replies with the event's reply token."""
    config = current_app.config
    url = config.get("EMULATOR_WEBHOOK_URL") or request.host_url + "callback"
    timeout = float(config.get("EMULATOR_WEBHOOK_TIMEOUT", WEBHOOK_TIMEOUT))
    status = webhook_sender.deliver(_store(), url, config["LINE_CHANNEL_SECRET"], event, timeout)
    result = {"status": status, "webhookEventId": event["webhookEventId"]}
    if "replyToken" in event:
        wait = float(config.get("EMULATOR_REPLY_WAIT", 5)) if status and 200 <= status < 300 else 0.0
        result["replies"] = _store().wait_for_reply(event["replyToken"], wait)
    return result


@bp.get("/users")
def users():
    """Every emulated user."""
    with _store().lock:
        return {"users": [u.to_json() for u in _store().users.values()]}


@bp.post("/users/<user_id>")
def upsert_user(user_id: str):
    """Create a user or change their display name."""
    name = _payload().get("displayName")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        return _bad_request("displayName must be a non-empty string")
    with _store().lock:
        user = _store().user(user_id)
        if name:
            user.display_name = name.strip()[:20]
        return user.to_json()


@bp.post("/users/<user_id>/follow")
def follow(user_id: str):
    """Add the bot as a friend (or unblock it): a follow event."""
    with _store().lock:
        user = _store().user(user_id)
        unblocked, user.following, user.blocked = user.blocked, True, False
    _store().note_user_action(user_id, "follow")
    return _exchange(webhook_sender.make_event(_store(), "follow", user_id, follow={"isUnblocked": unblocked}))


@bp.post("/users/<user_id>/unfollow")
def unfollow(user_id: str):
    """Block the bot: an unfollow event (no reply token)."""
    with _store().lock:
        user = _store().user(user_id)
        user.following, user.blocked = False, True
    _store().note_user_action(user_id, "unfollow")
    return _exchange(webhook_sender.make_event(_store(), "unfollow", user_id))


@bp.post("/users/<user_id>/messages")
def message(user_id: str):
    """Send a message: {"text"} or {"type": "sticker"|"image"|"location", ...}."""
    _store().user(user_id)
    try:
        content = webhook_sender.message_content(_payload(), _store().message_id())
    except ValueError as exc:
        return _bad_request(str(exc))
    _store().note_user_action(user_id, "message", content)
    return _exchange(webhook_sender.make_event(_store(), "message", user_id, message=content))


@bp.post("/users/<user_id>/postback")
def postback(user_id: str):
    """Tap a postback or datetime-picker action: {"data", "params"?, "displayText"?}."""
    payload = _payload()
    data, params, shown = payload.get("data"), payload.get("params") or {}, payload.get("displayText")
    if not isinstance(data, str) or not isinstance(params, dict):
        return _bad_request("data must be a string and params an object")
    _store().user(user_id)
    if isinstance(shown, str) and shown:
        _store().note_user_action(user_id, "postback", {"type": "text", "text": shown})
    body = {"data": data, **({"params": params} if params else {})}
    return _exchange(webhook_sender.make_event(_store(), "postback", user_id, postback=body))


@bp.get("/users/<user_id>/inbox")
def inbox(user_id: str):
    """Everything the bot sent the user, in order, with how (reply or push) and when."""
    _store().user(user_id)
    return {"messages": _store().inbox(user_id)}


@bp.get("/users/<user_id>/timeline")
def timeline(user_id: str):
    """Both sides of the chat after sequence number `after` (for the simulator page)."""
    _store().user(user_id)
    after = request.args.get("after", 0, type=int)
    with _store().lock:
        return {"entries": _store().timeline_for(user_id, after), "last": len(_store().timeline)}


@bp.post("/events/<event_id>/redeliver")
def redeliver(event_id: str):
    """Send a past event again (same webhookEventId, isRedelivery true)."""
    event = webhook_sender.redelivery(_store(), event_id)
    if event is None:
        return jsonify({"error": f"no event {event_id}"}), 404
    return _exchange(event)


@bp.get("/violations")
def violations():
    """Every invalid Messaging API request the bot made."""
    with _store().lock:
        return {"violations": list(_store().violations)}


@bp.get("/richmenu/<user_id>")
def rich_menu(user_id: str):
    """The rich menu the user sees (their own or the default), with its image URL."""
    menu = _store().rich_menu_for(user_id)
    if menu is None:
        return {"richMenu": None, "imageUrl": None}
    image = url_for(".rich_menu_image", rich_menu_id=menu.menu["richMenuId"]) if menu.image else None
    return {"richMenu": menu.menu, "imageUrl": image}


@bp.get("/richmenus/<rich_menu_id>/image")
def rich_menu_image(rich_menu_id: str):
    """A rich menu's image for the browser (no access token needed)."""
    with _store().lock:
        menu = _store().rich_menus.get(rich_menu_id)
        if menu is None or menu.image is None:
            abort(404)
        return Response(menu.image, mimetype=menu.content_type, headers={"Cache-Control": "no-cache"})
