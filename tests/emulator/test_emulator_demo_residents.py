"""The demo's residents are users of the chat simulator from the start, with the chat stored so far."""

from __future__ import annotations

from admin.demo import DEMO_RESIDENT
from bot.app import create_app
from bot.handoff.demo import DEMO_USER
from bot.line.emulator import store_for
from bot.tools.demo import seed_demo_data
from bot.tools.demo_simulator import FIRST_VISITOR, seed_simulator_users
from tests.support.live_server import emulator_config


def test_the_seeded_residents_are_simulator_users_with_their_history_once(db_url, tmp_path):
    app = create_app(emulator_config("http://127.0.0.1:9", db_url))
    svc = app.extensions["madoguchi"]
    try:
        seed_demo_data(svc, tmp_path)
        assert seed_simulator_users(app) == 2
        assert seed_simulator_users(app) == 0  # a second run changes nothing
        store = store_for(app)
        assert store.users[DEMO_USER].display_name == "デモ 花子" and store.users[DEMO_USER].following
        assert store.users[DEMO_RESIDENT].display_name == "デモ利用者"
        hanako = store.timeline_for(DEMO_USER)
        said = [e["message"]["text"] for e in hanako if e["from"] == "user"]
        assert said[:3] == ["NPO法人の解散について相談したいです", "NPO法人", "迷っている・検討中"]  # taps as labels
        assert "相談員と話す" in said  # the rich menu's button
        assert said[-1] == "理事の間で意見が割れていて、どう進めたらいいかわかりません"
        assert hanako[-1]["from"] == "bot" and hanako[0]["at"] < hanako[-1]["at"]  # stored times, in order
        assert all("quickReply" not in e["message"] for e in store.timeline)  # old chips cannot be tapped
        assert len(store.timeline_for(DEMO_RESIDENT)) == 40
        store.send([DEMO_USER], [{"type": "text", "text": "担当です"}], "push", None, "r1")  # a coordinator's push
        assert list(store.users) == [FIRST_VISITOR, DEMO_USER, DEMO_RESIDENT]  # it reaches her: nobody new
        assert not store.users[FIRST_VISITOR].following  # the simulator opens as a new resident, not as her
    finally:
        svc.sender.shutdown()
        svc.engine.dispose()
