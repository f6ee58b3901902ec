"""The privacy page: reachable without signing in, in Japanese, linked from the follow greeting."""

from __future__ import annotations

import re

import pytest

from bot import config as config_mod
from bot.app import create_app
from bot.dialogue import texts
from bot.line.emulator import limits, schema
from bot.platform.models import OutboxItem
from tests.conftest import offline_config
from tests.support.driver import WebhookUser, visible

URL = re.compile(r"https?://\S+")


def test_the_page_says_what_is_kept_why_how_long_and_how_to_ask_for_deletion(app):
    response = app.test_client().get("/privacy")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="ja">' in page and "<script" not in page
    for words in (
        "記録する内容",
        "使う目的",
        "保存期間",
        "365日",
        "削除",
        "横浜市市民協働推進センター",
        "045-671-4732",
    ):
        assert words in page, words
    assert "https://kyodo-c.city.yokohama.lg.jp/" in page  # the contact facts come from the centre profile


def test_the_follow_greeting_links_the_page_and_is_a_valid_line_message(app, post_events):
    user = WebhookUser(app, post_events)
    messages = user.follows()
    assert URL.findall(visible(messages)) == ["http://127.0.0.1:8000/privacy"]  # the demo default
    assert not schema.errors("messaging-api.yml", "ValidateMessageRequest", {"messages": messages})
    assert not limits.check_messages(messages, ["messages"])
    path = URL.findall(visible(messages))[0].removeprefix("http://127.0.0.1:8000")
    assert app.test_client().get(path).status_code == 200


@pytest.fixture
def public_app(db_url):
    app = create_app(offline_config(db_url, PUBLIC_BASE_URL="https://madoguchi.example.jp/", RETENTION_DAYS="180"))
    yield app
    app.extensions["madoguchi"].sender.shutdown()
    app.extensions["madoguchi"].engine.dispose()
    texts.configure(config_mod.PUBLIC_BASE_URL_DEFAULT)  # the greeting's link is process-wide: put it back


def test_the_address_and_period_come_from_the_settings(public_app):
    from tests.support.events import body, event, sign

    payload = body(event("follow", user_id="U" + "a" * 32, follow={"isUnblocked": False}))
    client = public_app.test_client()
    assert client.post("/callback", data=payload, headers={"X-Line-Signature": sign(payload)}).status_code == 200
    with public_app.extensions["madoguchi"].session_factory() as s:
        texts = [m.get("text", "") for item in s.query(OutboxItem).all() for m in item.messages]
    assert any("https://madoguchi.example.jp/privacy" in t for t in texts)
    assert "180日" in client.get("/privacy").get_data(as_text=True)


def test_settings_are_read_from_the_environment():
    config = config_mod.from_env({"PUBLIC_BASE_URL": "https://a.example.jp/", "RETENTION_DAYS": "90"})
    assert (config["PUBLIC_BASE_URL"], config["RETENTION_DAYS"]) == ("https://a.example.jp", 90)
    defaults = config_mod.from_env({})
    assert (defaults["PUBLIC_BASE_URL"], defaults["RETENTION_DAYS"]) == ("http://127.0.0.1:8000", 365)
    for bad in ("0", "a year"):
        with pytest.raises(ValueError, match="RETENTION_DAYS"):
            config_mod.from_env({"RETENTION_DAYS": bad})
