"""The dispatcher's hand-off calls, as agreed, for end-to-end tests until bot/dispatch.py makes them itself.

`wired(monkeypatch)` wraps bot.pipeline.dispatch only while bot/dispatch.py does not mention bot.handoff; once it
does, the real dispatcher is tested unchanged.
"""

from __future__ import annotations

import inspect
from urllib.parse import parse_qsl

import bot.dispatch
import bot.pipeline
from bot.handoff import service, triggers
from knowledge.text import normalize

ASK_WORDS = {normalize(w) for w in ("相談員と話したい", "人と はなしたい", "Talk to a person")}


def dispatch_is_wired() -> bool:
    """Whether bot/dispatch.py calls the hand-off service itself."""
    return "handoff" in inspect.getsource(bot.dispatch)


def reference_dispatch(original):
    """The contract: guard first (but not for follow/unfollow), then the triggers around the normal dispatch."""

    def dispatch(ctx, session, conversation, inbound):
        if inbound.kind not in ("follow", "unfollow"):
            held = service.guard(ctx, session, conversation, inbound)
            if held is not None:
                return held
        data = dict(parse_qsl(inbound.data or "")) if inbound.kind == "postback" else {}
        if data.get("a") == "human" or (data.get("a") == "path" and data.get("p") == "human"):
            return triggers.on_postback(ctx, session, conversation, data)
        if inbound.kind == "text" and normalize(inbound.text or "") in ASK_WORDS:
            return service.request(ctx, session, conversation, "asked")
        return triggers.after_reply(ctx, session, conversation, original(ctx, session, conversation, inbound))

    return dispatch


def wired(monkeypatch) -> None:
    """Make the webhook call the hand-off service as agreed (a no-op once bot/dispatch.py does)."""
    if not dispatch_is_wired():
        monkeypatch.setattr(bot.pipeline, "dispatch", reference_dispatch(bot.pipeline.dispatch))
