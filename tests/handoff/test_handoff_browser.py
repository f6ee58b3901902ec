"""The console in Debian's Chromium (Playwright): take the waiting conversation, see a new message live, reply, close.

The first test signs in through a stand-in admin parent (flask.g.admin_user) and checks the live updates; the
second signs in through the admin's real login page (skipped until the admin package is importable).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"Debian's Chromium not found at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from sqlalchemy import select  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.handoff.demo import DEMO_USER, seed_demo  # noqa: E402
from bot.handoff.models import Handoff  # noqa: E402
from bot.platform.db import unit_of_work  # noqa: E402
from tests.conftest import offline_config  # noqa: E402
from tests.handoff.console_support import PREFIX, mount_console  # noqa: E402
from tests.support.events import SECRET, TOKEN, body, sign, text_event  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

POLL_WAIT = 6000  # ms: the console polls every 1.5 s, and a loaded CI machine answers slower


@pytest.fixture
def live(db_url, monkeypatch):
    """The app (LINE recorded) with the console and the demo conversation, served on a free port."""
    holder = {}

    def build(base: str):
        app = create_app(offline_config(db_url))
        holder["console"] = mount_console(app)
        with unit_of_work(app.extensions["madoguchi"].session_factory) as s:
            holder["handoff"] = seed_demo(s, app.extensions["madoguchi"].context.clock()).id
        return app

    with LiveServer.for_app_factory(build) as server:
        yield server, holder["console"], holder["handoff"]
        server.app.extensions["madoguchi"].engine.dispose()


@pytest.fixture
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page(locale="ja-JP")
        finally:
            browser.close()


def resident_says(app, text: str) -> None:
    """The demo resident sends a LINE message (a signed webhook into the same app)."""
    payload = body(text_event(text, user_id=DEMO_USER))
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(payload)}
    assert app.test_client().post("/callback", data=payload.encode(), headers=headers).status_code == 200


def test_a_coordinator_takes_replies_and_closes_in_chromium(live, page):
    server, console, handoff_id = live
    expect = sync_api.expect
    page.goto(f"{server.url}{PREFIX}/")
    expect(page.locator(f'tr[data-handoff="{handoff_id}"]')).to_contain_text("デモ 花子")
    page.locator(f'tr[data-handoff="{handoff_id}"] a').click()
    expect(page.locator("#summary-text")).to_contain_text("NPO法人")
    page.get_by_role("button", name="担当する").click()
    expect(page.locator("#status-line")).to_contain_text("対応中")
    resident_says(server.app, "来週の理事会の前に相談したいです")
    expect(page.locator("#transcript")).to_contain_text("来週の理事会の前に相談したいです", timeout=POLL_WAIT)
    page.locator("#reply-text").fill("担当の佐藤です。理事会の日程を教えてください。")
    page.get_by_role("button", name="送信").click()
    expect(page.locator("#transcript")).to_contain_text("担当の佐藤です。", timeout=POLL_WAIT)
    sent = [m for _token, messages in console.gateway.replies for m in messages]
    sent += [m for _to, messages, _key in console.gateway.pushes for m in messages]
    assert any(m.get("text") == "担当の佐藤です。理事会の日程を教えてください。" for m in sent)
    page.locator('select[name="outcome"]').select_option("follow_up")
    page.get_by_role("button", name="終了する").click()
    expect(page.locator("#status-line")).to_contain_text("終了")
    with server.app.extensions["madoguchi"].session_factory() as s:
        assert s.scalar(select(Handoff.outcome).where(Handoff.id == handoff_id)) == "follow_up"


def test_a_message_that_comes_in_while_the_page_loads_shows_at_the_first_poll(live, page):
    """The page was rendered without it and the first poll already has it: the poll's copy must replace the page's
    (its version is what later polls compare with, so nothing else would ever bring the message in)."""
    server, _console, handoff_id = live
    polls: list[str] = []

    def message_before_the_first_poll(route):
        if not polls:
            resident_says(server.app, "資料はどこで受け取れますか")
        polls.append(route.request.url)
        route.continue_()

    page.route("**/api/c/*", message_before_the_first_poll)
    page.goto(f"{server.url}{PREFIX}/c/{handoff_id}")
    sync_api.expect(page.locator("#transcript")).to_contain_text("資料はどこで受け取れますか", timeout=POLL_WAIT)
    assert polls


def _admin_ready() -> str | None:
    """Why the real admin cannot be used yet, or None."""
    try:
        import admin  # noqa: F401
        from admin.people import accounts  # noqa: F401
    except ImportError as exc:
        return f"the admin package is not importable yet: {exc}"
    if not hasattr(admin, "guard"):
        return "the admin package has no sign-in guard yet"
    if not (Path(__file__).parents[2] / "admin" / "templates" / "admin" / "login.html").exists():
        return "admin/templates/admin/login.html is not there yet"
    return None


@pytest.fixture
def real_admin(db_url, monkeypatch):
    """The app as deployed (admin guard, real sign-in) with a coordinator account and the demo conversation."""
    reason = _admin_ready()
    if reason:
        pytest.skip(reason)
    from admin.people import accounts

    holder = {}

    def build(base: str):
        config = {"TESTING": True, "DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": SECRET}
        app = create_app({**config, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE": "http://127.0.0.1:9"})
        with unit_of_work(app.extensions["madoguchi"].session_factory) as s:
            accounts.create_user(s, "coordinator@example.jp", "coordinator", "correct horse battery", "佐藤")
            holder["handoff"] = seed_demo(s, app.extensions["madoguchi"].context.clock()).id
        return app

    with LiveServer.for_app_factory(build) as server:
        yield server, holder["handoff"]
        server.app.extensions["madoguchi"].engine.dispose()


def test_a_coordinator_signs_in_takes_replies_and_closes(real_admin, page):
    server, handoff_id = real_admin
    expect = sync_api.expect
    page.goto(f"{server.url}/admin/console/")
    page.locator('input[name="email"]').fill("coordinator@example.jp")
    page.locator('input[name="password"]').fill("correct horse battery")
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url("**/admin/console/**")
    page.locator(f'tr[data-handoff="{handoff_id}"] a').click()
    page.get_by_role("button", name="担当する").click()
    expect(page.locator("#status-line")).to_contain_text("対応中")
    page.locator("#reply-text").fill("担当の佐藤です。")
    page.get_by_role("button", name="送信").click()
    expect(page.locator("#transcript")).to_contain_text("担当の佐藤です。", timeout=POLL_WAIT)
    page.locator('select[name="outcome"]').select_option("answered")
    page.get_by_role("button", name="終了する").click()
    expect(page.locator("#status-line")).to_contain_text("終了")
