"""End to end through the LINE emulator: a resident books and cancels, tapping only the buttons the bot sends.

Uses the emulator's HTTP API: POST /emulator/api/users/<id>/messages {"text"} and …/postback {"data", "params"}
→ {"replies": [...]}.
"""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid

import pytest

from bot.app import create_app
from bot.booking.defaults import seed_demo
from bot.line.messages import visible_text
from bot.platform.db import unit_of_work
from tests.conftest import free_port
from tests.support.driver import actions
from tests.support.live_server import emulator_config


@pytest.fixture
def live(db_url):
    """The app with the emulator enabled, served on a free local port; yields its base URL."""
    from werkzeug.serving import make_server

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            **emulator_config(base, db_url),
            "SEND_ASYNC": False,
        }
    )
    svc = app.extensions["madoguchi"]
    with unit_of_work(svc.session_factory) as session:
        seed_demo(session, svc.context.today())
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    svc.sender.shutdown()
    svc.engine.dispose()


class EmulatedResident:
    """A LINE user in the emulator; remembers the last replies to tap their buttons."""

    def __init__(self, base: str):
        self.base = base
        self.user = "U" + uuid.uuid4().hex
        self.last: list[dict] = []

    def _post(self, path: str, payload: dict) -> list[dict]:
        request = urllib.request.Request(  # noqa: S310 (a local http URL)
            f"{self.base}/emulator/api/users/{self.user}/{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local test server)
            self.last = json.loads(response.read())["replies"]
        return self.last

    def says(self, text: str) -> list[dict]:
        return self._post("messages", {"text": text})

    def taps(self, label: str | None = None, index: int = 0) -> list[dict]:
        found = [a for a in actions(self.last) if label is None or a.get("label") == label]
        assert found, f"no {label!r} in {[a.get('label') for a in actions(self.last)]}"
        action = found[index]
        if action["type"] == "message":
            return self.says(action["text"])
        return self._post("postback", {"data": action["data"], "params": {}})

    def text(self) -> str:
        return "\n".join(visible_text(m) for m in self.last)


def test_a_resident_books_and_cancels_through_the_emulator(live):
    r = EmulatedResident(live)
    r.says("相談を予約したい")
    assert "ご希望の日を選んでください" in r.text()
    r.taps(index=0)  # the first free date
    assert "空いている時間" in r.text()
    r.taps(index=0)  # the first free time
    r.taps("スキップ")
    r.taps("この内容で予約する")
    assert "ご予約が確定しました" in r.text() and "予約番号" in r.text()
    r.taps("予約の確認・変更")
    r.taps("キャンセルする")
    r.taps("はい、キャンセルする")
    assert "キャンセルしました" in r.text()
