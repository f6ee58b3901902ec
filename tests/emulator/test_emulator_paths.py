"""The real bot behind the LINE emulator: a guided path with a digression and a crisis, as a LINE user sees it.

The emulator checks every reply against LINE's spec and limits and refuses what LINE would refuse, so a reply
that reaches the user here is one LINE would have delivered.
"""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from bot.app import create_app
from bot.line.messages import visible_text
from tests.support.conversation import Clock
from tests.support.driver import actions
from tests.support.live_server import LiveServer, emulator_config


@pytest.fixture
def live(db_url):
    """The bot with the emulator on a free port, its clock on a Tuesday morning; yields the base URL."""

    def build(base: str):
        app = create_app(
            {
                **emulator_config(base, db_url),
                "EMULATOR_REPLY_WAIT": 2,
                "SEND_ASYNC": False,
            }
        )
        app.extensions["madoguchi"].context.clock = Clock()
        return app

    with LiveServer.for_app_factory(build) as server:
        yield server.url
        server.app.extensions["madoguchi"].sender.shutdown()
        server.app.extensions["madoguchi"].engine.dispose()


class Resident:
    """A LINE user in the emulator who taps only what the bot sent."""

    def __init__(self, base: str):
        self.base = base
        self.user = "U" + uuid.uuid4().hex
        self.last: list[dict] = []

    def _call(self, path: str, payload: dict | None = None) -> list[dict]:
        data = None if payload is None else json.dumps(payload).encode()
        url = f"{self.base}/emulator/api/users/{self.user}/{path}"
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local test server)
            self.last = json.loads(response.read()).get("replies", [])
        return self.last

    def follows(self) -> str:
        return self.text(self._call("follow", {}))

    def says(self, text: str) -> str:
        return self.text(self._call("messages", {"text": text}))

    def taps(self, label: str) -> str:
        action = next((a for a in actions(self.last) if a.get("label") == label), None)
        assert action is not None, f"no {label!r} in {[a.get('label') for a in actions(self.last)]}"
        return self.text(self._call("postback", {"data": action["data"], "params": {}}))

    def violations(self) -> list[dict]:
        """Every request the emulator refused as LINE would."""
        with urllib.request.urlopen(f"{self.base}/emulator/api/violations", timeout=30) as response:  # noqa: S310
            return json.loads(response.read())["violations"]

    @staticmethod
    def text(messages: list[dict]) -> str:
        return "\n".join(visible_text(m) for m in messages)


def test_a_resident_digresses_comes_back_and_finishes_a_path_through_the_emulator(live):
    resident = Resident(live)
    assert "横浜市市民協働推進センター" in resident.follows()
    assert "どなたの活動" in resident.taps("ボランティアを始めたい")
    assert "どの地域" in resident.taps("自分が参加したい")
    assert "役に立ちましたか" in resident.says("センターの住所を教えてください")
    assert "どの地域" in resident.taps("「ボランティア」の続き")
    assert "関心のある分野" in resident.says("港北区です")
    assert "いつごろ" in resident.taps("子ども・子育て")
    answer = resident.taps("土日・祝日")
    assert "港北区の区民活動支援センターはどこですか？" in answer and "役に立ちましたか" in answer
    assert resident.violations() == []


def test_crisis_words_mid_path_reach_the_resident_with_resources_through_the_emulator(live):
    resident = Resident(live)
    resident.follows()
    resident.taps("解散・継続の相談")
    text = resident.says("もう死にたい")
    assert "0120-279-338" in text and "110" in text and "続き" not in text
    assert resident.violations() == []
