"""POST /callback: verify, parse, dedupe and process each event, then answer 200 and send after commit."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, abort, current_app, request
from linebot.v3 import SignatureValidator

from bot.dialogue.texts import t
from bot.line import messages as m
from bot.line.inbound import Inbound, parse_event
from bot.line.outbox import Claim, enqueue
from bot.pipeline import process_inbound, record_event, record_incoming
from bot.platform.conversation import lock_conversation
from bot.platform.db import unit_of_work
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
            claims += _handle(svc, inbound)
    svc.sender.send(claims)
    return {}, 200


def _handle(svc, inbound: Inbound) -> list[Claim]:
    """Process one event in its own transaction; its replies are created claimed, for this process to send."""
    try:
        with unit_of_work(svc.session_factory) as session:
            outcome = process_inbound(session, svc.context, inbound, claim_for=svc.outbox_policy)
        return outcome.claims()
    except Exception:
        log.exception("event %s failed; apologising", inbound.webhook_event_id)
    return _apologise(svc, inbound)


def _apologise(svc, inbound: Inbound) -> list[Claim]:
    if inbound.kind in ("unfollow", "other") or not inbound.user_id or inbound.source_type != "user":
        return []
    try:
        with unit_of_work(svc.session_factory) as session:
            if not record_event(session, inbound):
                return []
            conversation = lock_conversation(session, inbound.user_id)
            record_incoming(session, conversation, inbound)  # the resident's message is kept even so
            user = conversation.user
            chips = [m.Choice(t("label.human"), data={"a": "human"}), m.Choice(t("label.menu"), data={"a": "menu"})]
            sorry = [] if inbound.standby else [m.text(t("error.sorry"), chips)]  # standby: another channel answers
            token, policy = inbound.reply_token, svc.outbox_policy
            items = enqueue(session, user.id, user.line_user_id, sorry, token, claim_for=policy)
        return [Claim.of(item) for item in items]
    except Exception:
        log.exception("could not record the failed event %s", inbound.webhook_event_id)
        return []
