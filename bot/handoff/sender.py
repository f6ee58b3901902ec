"""LINE's `sender` on a coordinator's messages: residents see a person's name (and icon) instead of the bot's."""

from __future__ import annotations

from bot.handoff.settings import HandoffSettings

MAX_NAME = 20  # LINE: sender.name is at most 20 characters and may not contain words such as "LINE"
MAX_ICON_URL = 2000
DEFAULT_NAME = HandoffSettings.sender_name


def coordinator_sender(settings: HandoffSettings) -> dict:
    """{"name": …, "iconUrl": …}: the configured name (LINE's rules, else the default) and an https icon if set."""
    name = " ".join(str(settings.sender_name or "").split())
    if not name or len(name) > MAX_NAME or "line" in name.lower():
        name = DEFAULT_NAME
    sender = {"name": name}
    icon = str(settings.sender_icon_url or "").strip()
    if icon.startswith("https://") and len(icon) <= MAX_ICON_URL and not any(c.isspace() for c in icon):
        sender["iconUrl"] = icon
    return sender


def as_coordinator(messages: list[dict], sender: dict) -> list[dict]:
    """The messages, each carrying `sender` (copies; the caller's dicts are left alone)."""
    return [{**message, "sender": dict(sender)} for message in messages]
