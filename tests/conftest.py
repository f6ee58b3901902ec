"""Shared fixtures: a fresh migrated database per test, the app, and a signed-webhook client."""

from __future__ import annotations

import shutil
import socket

import pytest

from bot.app import create_app
from bot.demo import prepare_database
from tests.support.events import SECRET, TOKEN, body, sign


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """One migrated database with the shipped knowledge base, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    prepare_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(template_db, tmp_path):
    """A fresh database for this test."""
    target = tmp_path / "madoguchi.db"
    shutil.copy(template_db, target)
    return f"sqlite:///{target}"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(db_url):
    """The app with LINE pointed at a closed port (sending fails and stays in the outbox)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE": f"http://127.0.0.1:{free_port()}",
            "SEND_ASYNC": False,
        }
    )
    yield app
    app.extensions["madoguchi"].sender.shutdown()
    app.extensions["madoguchi"].engine.dispose()


@pytest.fixture
def post_events(app):
    """POST signed events to /callback with the test client."""
    client = app.test_client()

    def post(*events, signature: str | None = None, raw: str | None = None):
        payload = raw if raw is not None else body(*events)
        headers = {
            "Content-Type": "application/json",
            "X-Line-Signature": sign(payload) if signature is None else signature,
        }
        return client.post("/callback", data=payload.encode(), headers=headers)

    return post
