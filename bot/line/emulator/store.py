"""In-memory state of the emulated LINE platform: users, reply tokens, events, deliveries, rich menus, violations."""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.line.emulator.fault_plan import FaultPlan


def now_iso() -> str:
    """The current time as ISO 8601 (UTC, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class EmulatedUser:
    """A LINE user of the emulator."""

    user_id: str
    display_name: str
    following: bool = False
    blocked: bool = False
    rich_menu_id: str | None = None

    def to_json(self) -> dict:
        """The user as the HTTP API shows it."""
        return {
            "userId": self.user_id,
            "displayName": self.display_name,
            "following": self.following,
            "richMenuId": self.rich_menu_id,
        }


@dataclass
class ReplyToken:
    """A reply token issued with a webhook event: single use, valid for the store's TTL."""

    user_id: str
    issued: float
    messages: list[dict] | None = None
    rejected: list[str] = field(default_factory=list)


@dataclass
class RichMenu:
    """A created rich menu (the RichMenuResponse object) and its uploaded image."""

    menu: dict
    image: bytes | None = None
    content_type: str | None = None


@dataclass
class Delivery:
    """Outcome of a push or multicast: sentMessages; accepted_request_id is set when the retry key was used before."""

    sent: list[dict]
    accepted_request_id: str | None = None


class EmulatorStore:
    """Thread-safe state; `changed` is notified whenever something is delivered or a reply is refused."""

    def __init__(self, reply_token_ttl: float = 60.0):
        self.reply_token_ttl = reply_token_ttl
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._ids = itertools.count(600_000_000_000_000_001)
        self.reset()

    def reset(self) -> None:
        """Forget everything (users, tokens, events, messages, rich menus, violations)."""
        with self.lock:
            self.users: dict[str, EmulatedUser] = {}
            self.tokens: dict[str, ReplyToken] = {}
            self.events: dict[str, dict] = {}
            self.timeline: list[dict] = []
            self.retry_keys: dict[str, Delivery] = {}
            self.violations: list[dict] = []
            self.rich_menus: dict[str, RichMenu] = {}
            self.default_rich_menu: str | None = None
            self.consumption = 0
            self.faults = FaultPlan()
            self.changed.notify_all()

    def user(self, user_id: str) -> EmulatedUser:
        """The user with this id, created on first use as 「利用者 <suffix>」."""
        with self.lock:
            if user_id not in self.users:
                self.users[user_id] = EmulatedUser(user_id, f"利用者 {user_id[-4:]}")
            return self.users[user_id]

    def add_known_user(self, user_id: str, display_name: str, history: list[dict]) -> bool:
        """A user who chatted before this emulator started (the demo's residents): following the account, with
        their past chat on the timeline. `history` items are {"from": "user"|"bot", "at": ISO time, "message"}.
        Only once: False when the user already exists."""
        with self.lock:
            if user_id in self.users:
                return False
            self.users[user_id] = EmulatedUser(user_id, display_name.strip()[:20] or user_id[-4:], following=True)
            for item in history:
                via = "message" if item["from"] == "user" else "reply"
                self._append(user_id, via, [item["message"]], sender=item["from"])
                if item.get("at"):
                    self.timeline[-1]["at"] = item["at"]
            self.changed.notify_all()
            return True

    def message_id(self) -> str:
        """A new numeric message id, as LINE's are."""
        with self.lock:
            return str(next(self._ids))

    # events and reply tokens

    def issue_reply_token(self, user_id: str) -> str:
        """A fresh reply token for an event from `user_id`."""
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = ReplyToken(user_id, time.monotonic())
        return token

    def record_event(self, event: dict, user_id: str) -> None:
        """Remember a sent webhook event (for redelivery)."""
        with self.lock:
            self.events[event["webhookEventId"]] = {"event": copy.deepcopy(event), "userId": user_id, "status": None}

    def event(self, event_id: str) -> dict | None:
        """A copy of a sent event record, or None."""
        with self.lock:
            record = self.events.get(event_id)
            return copy.deepcopy(record) if record else None

    def set_event_status(self, event_id: str, status: int | None) -> None:
        """Record the webhook's HTTP status for an event."""
        with self.lock:
            if event_id in self.events:
                self.events[event_id]["status"] = status

    def redeem_reply_token(self, token: str, messages: list[dict]) -> tuple[str | None, list[dict]]:
        """Use a reply token and deliver: (why the token is invalid, or None; the sentMessages)."""
        with self.lock:
            record = self.tokens.get(token)
            if record is None:
                return "unknown reply token", []
            if record.messages is not None:
                return "reply token already used", []
            if time.monotonic() - record.issued > self.reply_token_ttl:
                return f"reply token expired (valid for {self.reply_token_ttl:g} s)", []
            record.messages = copy.deepcopy(messages)
            sent = self._append(record.user_id, "reply", messages)
            self.changed.notify_all()
            return None, sent

    def reject_reply(self, token: str, error: str) -> None:
        """Note a refused reply request for a known token (ends waiting for replies)."""
        with self.lock:
            if token in self.tokens:
                self.tokens[token].rejected.append(error)
                self.changed.notify_all()

    def wait_for_reply(self, token: str, timeout: float) -> list[dict]:
        """The messages sent with `token`, waiting up to `timeout` seconds; [] if none came or they were refused."""
        with self.changed:
            record = self.tokens.get(token)
            if record is None:
                return []
            self.changed.wait_for(lambda: record.messages is not None or record.rejected, timeout)
            return copy.deepcopy(record.messages or [])

    # deliveries and the timeline

    def send(self, to: list[str], messages: list[dict], via: str, retry_key: str | None, request_id: str) -> Delivery:
        """Deliver push/multicast messages; if `retry_key` was accepted before, nothing: the earlier Delivery."""
        with self.lock:
            if retry_key and retry_key in self.retry_keys:
                return self.retry_keys[retry_key]
            sent: list[dict] = []
            for user_id in to:
                self.user(user_id)
                sent = self._append(user_id, via, messages)
            self.consumption += len(to)  # LINE counts requests × recipients, not message bubbles
            delivery = Delivery(sent, request_id)
            if retry_key:
                self.retry_keys[retry_key] = delivery
            self.changed.notify_all()
            return Delivery(sent)

    def _append(self, user_id: str, via: str, messages: list[dict], sender: str = "bot") -> list[dict]:
        sent = []
        for message in messages:
            entry = {
                "seq": len(self.timeline) + 1,
                "userId": user_id,
                "from": sender,
                "via": via,
                "at": now_iso(),
                "id": self.message_id(),
                "quoteToken": secrets.token_urlsafe(24),
                "message": copy.deepcopy(message),
            }
            self.timeline.append(entry)
            sent.append({"id": entry["id"], "quoteToken": entry["quoteToken"]})
        return sent

    def note_user_action(self, user_id: str, kind: str, message: dict | None = None) -> None:
        """Put what the user did (a message, a tap, follow/unfollow) on their timeline."""
        with self.lock:
            self._append(user_id, kind, [message or {}], sender="user")
            self.changed.notify_all()

    def inbox(self, user_id: str) -> list[dict]:
        """Everything the bot sent this user, in order."""
        with self.lock:
            return [
                {"via": e["via"], "at": e["at"], "message": copy.deepcopy(e["message"])}
                for e in self.timeline
                if e["userId"] == user_id and e["from"] == "bot"
            ]

    def timeline_for(self, user_id: str, after: int = 0) -> list[dict]:
        """The user's side and the bot's side of the chat after sequence number `after`."""
        with self.lock:
            return [copy.deepcopy(e) for e in self.timeline[after:] if e["userId"] == user_id]

    # violations and rich menus

    def add_violation(self, endpoint: str, status: int, error: str, details: list[dict], body) -> None:
        """Log an invalid Messaging API request made by the bot."""
        with self.lock:
            violation = {"endpoint": endpoint, "status": status, "error": error, "details": details, "body": body}
            self.violations.append({**violation, "at": now_iso()})
            self.changed.notify_all()

    def rich_menu_for(self, user_id: str) -> RichMenu | None:
        """The rich menu the user sees: their linked one, else the default."""
        with self.lock:
            menu_id = self.user(user_id).rich_menu_id or self.default_rich_menu
            return self.rich_menus.get(menu_id) if menu_id else None
