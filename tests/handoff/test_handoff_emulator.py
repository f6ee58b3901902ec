"""End to end through the LINE emulator and the console: the resident's LINE sees exactly what is sent and how.

Request a person → silent while waiting → the coordinator replies (reply token while valid, then push, counted
against the budget) → the coordinator closes → the bot answers again.
"""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from bot.app import create_app  # noqa: E402
from bot.handoff.models import Handoff  # noqa: E402
from bot.handoff.queue import push_usage  # noqa: E402
from bot.line.messages import visible_text  # noqa: E402
from bot.platform.db import utcnow  # noqa: E402
from bot.platform.models import Setting  # noqa: E402
from tests.handoff.console_support import mount_console  # noqa: E402
from tests.handoff.factories import TOKYO, TUESDAY_MORNING, Clock  # noqa: E402
from tests.support.live_server import LiveServer, emulator_config  # noqa: E402


@pytest.fixture
def live(db_url, monkeypatch):
    """The app with the emulator on a free port, the console mounted; yields (base URL, app, console)."""
    holder = {}

    def build(base: str):
        app = create_app(
            {
                **emulator_config(base, db_url),
                "EMULATOR_REPLY_WAIT": 0.5,
                "SEND_ASYNC": False,
            }
        )
        app.extensions["madoguchi"].context.clock = Clock(TUESDAY_MORNING)
        holder["console"] = mount_console(app, record=False)
        return app

    with LiveServer.for_app_factory(build) as server:
        yield server.url, server.app, holder["console"]
        server.app.extensions["madoguchi"].sender.shutdown()
        server.app.extensions["madoguchi"].engine.dispose()


class Resident:
    """A LINE user in the emulator."""

    def __init__(self, base: str):
        self.base = base
        self.user = "U" + uuid.uuid4().hex

    def _call(self, path: str, payload: dict | None = None) -> dict:
        data = None if payload is None else json.dumps(payload).encode()
        url = f"{self.base}/emulator/api/users/{self.user}/{path}"
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (a local http URL)
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local test server)
            return json.loads(response.read())

    def says(self, text: str) -> str:
        """Send a message; the text of the replies."""
        return "\n".join(visible_text(m) for m in self._call("messages", {"text": text}).get("replies", []))

    def inbox(self) -> list[tuple[str, str]]:
        """(via, text) of everything the bot sent."""
        return [(e["via"], visible_text(e["message"])) for e in self._call("inbox")["messages"]]


def test_hand_off_through_the_emulator_and_the_console(live):
    base, app, console = live
    resident = Resident(base)
    assert "担当者におつなぎします" in resident.says("相談員と話したい")
    assert "メッセージを受け付けました" in resident.says("NPO法人の解散で理事の意見が割れています")
    assert resident.says("よろしくお願いします") == ""  # the bot keeps quiet while waiting
    with app.extensions["madoguchi"].session_factory() as s:
        handoff_id = s.scalar(select(Handoff.id))
    console.post(f"/c/{handoff_id}/take")
    console.post(f"/c/{handoff_id}/reply", text="担当の佐藤です。")
    assert resident.inbox()[-1] == ("reply", "担当の佐藤です。")  # the latest message's token was still valid
    console.post(f"/c/{handoff_id}/reply", text="理事会の日程を教えてください。")
    assert resident.inbox()[-1] == ("push", "理事会の日程を教えてください。")
    with app.extensions["madoguchi"].session_factory() as s:
        assert push_usage(s, utcnow().astimezone(TOKYO).date()).used == 1
    assert "今月のプッシュ送信 1 / 200 通" in console.page("/")
    console.post(f"/c/{handoff_id}/close", outcome="follow_up", notify="1")
    assert "ご相談ありがとうございました" in resident.inbox()[-1][1]
    answer = resident.says("ボランティアを始めたい")
    assert answer and "担当者" not in answer


def test_coordinator_replies_carry_a_person_s_name_and_icon_and_the_bot_s_do_not(live):
    base, app, console = live
    with app.extensions["madoguchi"].session_factory.begin() as s:
        s.add(Setting(key="handoff.sender_name", value="相談員 佐藤"))
        s.add(Setting(key="handoff.sender_icon_url", value="https://example.org/coordinator.png"))
    resident = Resident(base)
    resident.says("相談員と話したい")
    resident.says("NPO法人の解散で理事の意見が割れています")
    with app.extensions["madoguchi"].session_factory() as s:
        handoff_id = s.scalar(select(Handoff.id))
    console.post(f"/c/{handoff_id}/reply", text="担当の佐藤です。")
    console.post(f"/c/{handoff_id}/reply", text="理事会の日程を教えてください。")
    sent = [e["message"] for e in resident._call("inbox")["messages"]]
    bot, person = sent[:-2], sent[-2:]
    assert all(m["sender"] == {"name": "相談員 佐藤", "iconUrl": "https://example.org/coordinator.png"} for m in person)
    assert bot and not any("sender" in m for m in bot)
    assert not _violations(base)


def _violations(base: str) -> list:
    with urllib.request.urlopen(f"{base}/emulator/api/violations", timeout=30) as response:  # noqa: S310
        return json.loads(response.read())["violations"]


@pytest.mark.parametrize(
    ("name", "icon", "expected"),
    [
        ("", "", {"name": "センターの相談員"}),
        ("LINE相談員", "http://example.org/a.png", {"name": "センターの相談員"}),  # LINE refuses both
        ("とても長い名前の相談員さんとても長い名前です", "https://x.example/i.png", None),
    ],
)
def test_a_sender_line_would_refuse_falls_back_to_the_default(name, icon, expected):
    from bot.handoff.sender import coordinator_sender
    from bot.handoff.settings import HandoffSettings

    sender = coordinator_sender(HandoffSettings(sender_name=name, sender_icon_url=icon))
    assert sender == (expected or {"name": "センターの相談員", "iconUrl": "https://x.example/i.png"})
