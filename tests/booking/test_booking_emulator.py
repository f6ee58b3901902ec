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
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # quick shutdown
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
    r.taps("予約の確認・変更・キャンセル")
    r.taps("キャンセルする")
    r.taps("はい、キャンセルする")
    assert "キャンセルしました" in r.text()


MINE = "予約の確認・変更・キャンセル"


def _rich_menu_area(base: str, user: str, label: str) -> dict:
    """The action of the rich menu area the user sees with this label (after `madoguchi richmenu sync`)."""
    with urllib.request.urlopen(f"{base}/emulator/api/richmenu/{user}", timeout=30) as response:  # noqa: S310
        menu = json.loads(response.read())["richMenu"]
    [action] = [a["action"] for a in menu["areas"] if a["action"]["label"] == label]
    return action


def test_every_booking_message_and_the_rich_menu_lead_to_my_bookings(live):
    from bot.line.richmenu import sync
    from tests.support.events import TOKEN

    sync(f"{live}/emulator/line", f"{live}/emulator/line", TOKEN)
    r = EmulatedResident(live)
    r.says("相談を予約したい")
    seen = [[a.get("label") for a in actions(r.last)]]
    r.taps(index=0)  # a date
    seen.append([a.get("label") for a in actions(r.last)])
    chosen = next(a["label"] for a in actions(r.last) if "〜" in a.get("label", ""))
    r.taps(chosen)
    hold = r.text()
    assert chosen in hold and "まで仮押さえしました" in hold and "まだ確定していません" in hold
    assert "「この内容で予約する」を押すと、ご予約が確定します" in hold
    seen.append([a.get("label") for a in actions(r.last)])
    r.taps("スキップ")
    seen.append([a.get("label") for a in actions(r.last)])
    r.taps("この内容で予約する")
    assert "ご予約が確定しました" in r.text() and f"メニューの「{MINE}」" in r.text()
    seen.append([a.get("label") for a in actions(r.last)])
    assert all(MINE in labels for labels in seen), seen

    mine = _rich_menu_area(live, r.user, MINE)
    r._post("postback", {"data": mine["data"], "params": {}})
    assert "ご予約は1件です" in r.text() and "キャンセルする" in [a.get("label") for a in actions(r.last)]


def test_booking_again_names_the_booking_the_resident_already_has(live):
    r = EmulatedResident(live)
    r.says("相談を予約したい")
    day = actions(r.last)[0]["label"]  # 「12/8(火)」
    r.taps(index=0)
    r.taps(index=0)
    r.taps("スキップ")
    r.taps("この内容で予約する")
    assert "ご予約が確定しました" in r.text()
    again = r.says("相談を予約")
    first = visible_text(again[0])
    assert first.startswith("いまのご予約：") and f"「{MINE}」" in first
    month, rest = day.split("/")
    assert f"{month}月{rest.split('(')[0]}日" in first  # the booked date, before any new date is offered
    assert "ご希望の日を選んでください" in visible_text(again[-1])


def test_a_type_name_with_its_own_brackets_is_not_quoted_inside_brackets():
    from bot.booking.texts import bt

    text = bt("cancelled", when="12月3日", name="強化案件相談日「NPO法人の解散」")
    assert "「強化案件相談日『NPO法人の解散』」" in text and "」」" not in text
