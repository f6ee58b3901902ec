"""A LINE user for tests: sends signed events to /callback and reads back what the bot queued for them."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from bot.platform.models import OutboxItem
from tests.support.events import event, text_event


def actions(messages: list[dict]) -> list[dict]:
    """Every tappable action in messages: quick-reply items and flex/template buttons."""
    found: list[dict] = []
    for message in messages:
        found.extend(item["action"] for item in (message.get("quickReply") or {}).get("items", []))
        found.extend(_buttons(message.get("contents") or message.get("template") or {}))
    return found


def _buttons(node) -> list[dict]:
    if isinstance(node, list):
        return [a for child in node for a in _buttons(child)]
    if not isinstance(node, dict):
        return []
    own = [node["action"]] if node.get("type") in ("button", "box") and "action" in node else []
    own += node.get("actions", []) if isinstance(node.get("actions"), list) else []
    return own + [a for key, child in node.items() if key != "action" for a in _buttons(child)]


def visible(messages: list[dict]) -> str:
    """All text a person would read in these messages."""
    from bot.line.messages import visible_text

    return "\n".join(visible_text(m) for m in messages)


class WebhookUser:
    """Talks to the app through the test client; replies are read from the outbox by reply token."""

    def __init__(self, app, post_events, user_id: str | None = None):
        self.app = app
        self.post = post_events
        self.user_id = user_id or "U" + uuid.uuid4().hex
        self.last: list[dict] = []

    def _send(self, data: dict) -> list[dict]:
        response = self.post(data)
        assert response.status_code == 200, response.data
        factory = self.app.extensions["madoguchi"].session_factory
        with factory() as session:
            items = session.scalars(select(OutboxItem).where(OutboxItem.reply_token == data.get("replyToken")))
            self.last = [m for item in items for m in item.messages]
        return self.last

    def follows(self) -> list[dict]:
        """Add the account as a friend."""
        return self._send(event("follow", user_id=self.user_id, follow={"isUnblocked": False}))

    def says(self, text: str) -> list[dict]:
        """Send a text message."""
        return self._send(text_event(text, user_id=self.user_id))

    def taps(self, label: str) -> list[dict]:
        """Tap the button or chip with this label in the bot's last messages."""
        action = next((a for a in actions(self.last) if a.get("label") == label), None)
        assert action is not None, f"no button {label!r} in {[a.get('label') for a in actions(self.last)]}"
        return self.tap(action)

    def tap(self, action: dict) -> list[dict]:
        """Perform one action object as LINE would."""
        if action["type"] == "message":
            return self.says(action["text"])
        if action["type"] == "postback":
            return self._send(event("postback", user_id=self.user_id, postback={"data": action["data"]}))
        raise AssertionError(f"cannot tap a {action['type']} action in tests")

    def labels(self) -> list[str]:
        """Labels of everything tappable in the last reply."""
        return [a.get("label", "") for a in actions(self.last)]
