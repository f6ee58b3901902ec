"""Drives the booking flow the way the dispatcher does, tapping only the buttons the bot sent."""

from __future__ import annotations

from urllib.parse import parse_qsl

from bot.booking import flow, mine
from bot.line.messages import MAX_DATA, MAX_LABEL, MAX_MESSAGES, MAX_QUICK_REPLIES, utf16_len, visible_text
from bot.platform.conversation import lock_conversation
from bot.platform.db import unit_of_work
from tests.booking.factories import Clock, make_context
from tests.support.driver import actions


def check_limits(messages: list[dict]) -> None:
    """LINE's limits: 5 messages, 13 quick replies, 20-character labels, 300-character postback data."""
    assert 1 <= len(messages) <= MAX_MESSAGES
    for message in messages:
        assert len((message.get("quickReply") or {}).get("items", [])) <= MAX_QUICK_REPLIES
    for action in actions(messages):
        assert utf16_len(action.get("label", "")) <= MAX_LABEL, action
        assert len(action.get("data", "")) <= MAX_DATA


class Resident:
    """One resident talking to the booking flow inside real transactions."""

    def __init__(self, factory, line_id: str, clock: Clock | None = None):
        self.factory = factory
        self.line_id = line_id
        self.clock = clock or Clock()
        self.ctx = make_context(self.clock)
        self.last: list[dict] = []

    def _turn(self, handler) -> list[dict]:
        with unit_of_work(self.factory) as session:
            conversation = lock_conversation(session, self.line_id)
            reply = handler(session, conversation)
            assert conversation.state is None or conversation.state in flow.STATES
            if reply is None:
                return []
        check_limits(reply.messages)
        self.last = reply.messages
        return self.last

    def starts(self, topic: str | None = None) -> list[dict]:
        """「相談を予約」 (or the booking intent with a topic)."""
        return self._turn(lambda s, c: flow.start(self.ctx, s, c, topic))

    def opens_my_bookings(self) -> list[dict]:
        """「予約の確認・変更・キャンセル」 from the rich menu."""
        return self._turn(lambda s, c: mine.my_bookings(self.ctx, s, c))

    def says(self, text: str) -> list[dict] | None:
        """Free text while in the flow; None when the flow does not take it."""
        out = self._turn(lambda s, c: flow.on_text(self.ctx, s, c, text) if c.flow == flow.FLOW else None)
        return out or None

    def action(self, label: str) -> dict:
        """The button or chip with this label in the last reply."""
        found = [a for a in actions(self.last) if a.get("label") == label]
        assert found, f"no {label!r} in {[a.get('label') for a in actions(self.last)]}"
        return found[0]

    def taps(self, label: str, date: str | None = None) -> list[dict]:
        """Tap a postback button or chip (a date picker needs the chosen `date`)."""
        return self.tap(self.action(label), date)

    def tap(self, action: dict, date: str | None = None) -> list[dict]:
        """Perform a saved action again (e.g. a stale button)."""
        data = dict(parse_qsl(action["data"]))
        if action["type"] == "datetimepicker":
            data["params"] = {"date": date}
        assert data["a"].startswith("bk") or data["a"] == "book"
        return self._turn(lambda s, c: flow.on_postback(self.ctx, s, c, data))

    def labels(self) -> list[str]:
        """Labels of everything tappable in the last reply."""
        return [a.get("label", "") for a in actions(self.last)]

    def text(self) -> str:
        """Everything readable in the last reply."""
        return "\n".join(visible_text(m) for m in self.last)
