"""A minimal app with the emulator and a fake bot at /callback that verifies signatures and replies via the SDK."""

from __future__ import annotations

import pytest
from flask import Flask

from bot.line.emulator import init_app
from tests.emulator.fakebot import SECRET, TOKEN, Emulator, FakeBot
from tests.support.live_server import LiveServer


@pytest.fixture
def emulator():
    """The emulator app served on a free port with the fake bot; short waits keep tests fast."""
    bot = FakeBot()

    def build(base: str) -> Flask:
        app = Flask("emulator_test")
        app.config.update(
            LINE_CHANNEL_SECRET=SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
            EMULATOR_REPLY_WAIT=2,
            TESTING=True,
        )
        init_app(app)
        app.add_url_rule("/callback", "callback", bot.callback, methods=["POST"])
        bot.base = base
        return app

    with LiveServer.for_app_factory(build) as server:
        yield Emulator(server, bot)
        for thread in bot.threads:
            thread.join(timeout=5)
