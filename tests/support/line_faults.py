"""Driving the LINE emulator over HTTP in fault tests: residents, faults, inboxes, and waiting for the outbox.

`EmulatorHttp(base)` talks to a running emulator (in this process or not); `outbox_settled` waits until no
outbox item is pending; `assert_exactly_once` compares what the bot recorded as sent with what LINE shows.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

from sqlalchemy import select

from bot.line.messages import visible_text
from bot.platform.models import LineUser, Message, OutboxItem
from tests.support.driver import actions

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


class EmulatorHttp:
    """The emulator's HTTP test API at `base` (…/emulator/api)."""

    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, payload=None, timeout: float = 30):
        """(status, JSON) of a request to the emulator's test API."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(  # noqa: S310 (loopback test server)
            f"{self.base}/emulator/api{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"{}")

    def fault(self, **rule) -> None:
        """Queue a fault (see bot/line/emulator/faults.py)."""
        status, body = self.call("POST", "/faults", rule)
        assert status == 201, body

    def injected(self) -> list[dict]:
        """The faults injected so far."""
        return self.call("GET", "/faults")[1]["injected"]

    def pending_faults(self) -> list[dict]:
        """Fault rules not used up yet."""
        return self.call("GET", "/faults")[1]["pending"]

    def inbox(self, user: str) -> list[dict]:
        """Everything LINE delivered to the user: [{"via", "at", "message"}]."""
        return self.call("GET", f"/users/{user}/inbox")[1]["messages"]


class Resident:
    """A LINE user of the emulator; remembers the replies the webhook exchange returned, to tap their buttons."""

    def __init__(self, emulator: EmulatorHttp, user: str | None = None):
        self.emulator = emulator
        self.user = user or "U" + uuid.uuid4().hex
        self.last: list[dict] = []

    def _post(self, action: str, payload: dict) -> dict:
        status, body = self.emulator.call("POST", f"/users/{self.user}/{action}", payload, timeout=60)
        assert status == 200, body
        self.last = body.get("replies") or []
        return body

    def says(self, text: str) -> dict:
        """Send a text message (the result has the webhook status and the replies collected)."""
        return self._post("messages", {"text": text})

    def postback(self, data: str) -> dict:
        """Tap a postback action."""
        return self._post("postback", {"data": data, "params": {}})

    def taps(self, label: str | None = None, index: int = 0) -> dict:
        """Tap a button or chip of the last replies."""
        found = [a for a in actions(self.last) if label is None or a.get("label") == label]
        assert found, f"no {label!r} in {[a.get('label') for a in actions(self.last)]}"
        action = found[index]
        return self.says(action["text"]) if action["type"] == "message" else self.postback(action["data"])

    def inbox_texts(self) -> list[str]:
        """The text of everything delivered to this resident, in order."""
        return [visible_text(e["message"]) for e in self.emulator.inbox(self.user)]


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05):
    """Poll until `condition()` is truthy; returns its value or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def outbox_rows(factory, line_user_id: str | None = None) -> list[OutboxItem]:
    """Outbox items (of one resident), oldest first."""
    with factory() as session:
        query = select(OutboxItem).order_by(OutboxItem.id)
        if line_user_id:
            query = query.where(OutboxItem.line_user_id == line_user_id)
        return list(session.scalars(query))


def outbox_settled(factory, timeout: float = 20.0) -> list[OutboxItem]:
    """Wait until no outbox item is pending; returns every item."""

    def settled():
        rows = outbox_rows(factory)
        return rows if rows and all(r.status != "pending" for r in rows) else None

    return wait_until(settled, timeout)


def sent_texts(factory, line_user_id: str) -> list[str]:
    """What the bot's transcript says it sent the resident, in order."""
    with factory() as session:
        query = (
            select(Message)
            .join(LineUser, LineUser.id == Message.user_id)
            .where(LineUser.line_user_id == line_user_id, Message.direction == "out")
            .order_by(Message.outbox_id, Message.id)
        )
        return [visible_text(m.payload) if m.payload else (m.text or "") for m in session.scalars(query)]


def assert_exactly_once(factory, emulator: EmulatorHttp, resident: Resident, settle: float = 0.5) -> list[dict]:
    """Every message the bot queued for the resident reached LINE once, in order; nothing is pending or dead."""
    rows = outbox_settled(factory)
    time.sleep(settle)  # anything still in flight (a late duplicate) would show up now
    mine = [r for r in rows if r.line_user_id == resident.user]
    assert mine and all(r.status == "sent" for r in mine), [(r.id, r.status, r.last_error) for r in mine]
    assert resident.inbox_texts() == sent_texts(factory, resident.user)
    return emulator.inbox(resident.user)
