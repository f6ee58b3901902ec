"""POST /callback: verify, parse, hand each event to the app's event handler, answer 200, send after commit."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, abort, current_app, request
from linebot.v3 import SignatureValidator

from bot.line.delivery import Claim
from bot.line.inbound import parse_event
from bot.platform.services import services

bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)


@bp.post("/callback")
def callback():
    """LINE's webhook: 400 for a bad signature or body (nothing stored), otherwise always 200."""
    signature = request.headers.get("X-Line-Signature", "")
    raw = request.get_data(cache=False)  # Werkzeug answers 413 at once for a Content-Length over MAX_CONTENT_LENGTH
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and len(raw) >= limit:  # a streamed (chunked) body is cut at the limit: too large
        abort(413)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, "body is not UTF-8")
    validator = SignatureValidator(current_app.config["LINE_CHANNEL_SECRET"])
    if not signature or not validator.validate(body, signature):
        abort(400, "invalid signature")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        abort(400, "body is not JSON")
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        abort(400, "no events")
    svc = services()
    claims: list[Claim] = []
    for raw_event in events:
        inbound = parse_event(raw_event)
        if inbound is not None:
            claims += svc.handle_event(svc, inbound)  # the dialogue's pipeline, wired in by the app
    svc.sender.send(claims)
    return {}, 200
