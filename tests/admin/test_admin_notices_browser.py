"""お知らせ配信 in a real browser (Debian's Chromium, headless): a resident opts in through the LINE emulator, staff
compose a notice, see its LINE preview, reach and cost, schedule it; the worker's job sends it and the page then
shows it delivered. A screenshot of the compose page is kept in test-artifacts/."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from bot.app import create_app
from bot.line.messages import visible_text
from bot.notices.jobs import send_due_notices
from tests.conftest import copy_template
from tests.support.admin import login_as
from tests.support.browser import missing_reason, save_screenshot
from tests.support.live_server import LiveServer, emulator_config

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))


@pytest.fixture
def live(template_db, tmp_path):
    url = copy_template(template_db, tmp_path)
    with LiveServer.for_app_factory(lambda base: create_app({**emulator_config(base, url), "SEND_ASYNC": False})) as s:
        yield s
    services = s.app.extensions["madoguchi"]
    services.sender.shutdown()
    services.engine.dispose()


def emulator(live, path: str, payload: dict | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310 (the loopback test server)
        f"{live.url}/emulator/api{path}",
        data=json.dumps(payload).encode() if payload is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


def test_staff_compose_preview_and_schedule_a_notice_that_reaches_the_resident(page, live):
    user = "U" + uuid.uuid4().hex
    for data in ("a=nt", "a=nt&do=t&t=funding&s=", "a=nt&do=ok&s=funding", "a=nt&do=w&s=funding&w="):
        emulator(live, f"/users/{user}/postback", {"data": data, "params": {}})
    login_as(page, "staff", app=live.app, base_url=live.url)
    page.click("header nav >> text=お知らせ配信")
    assert "受け取りを希望している人：1 人" in page.locator("#subscribers").inner_text()
    page.click("text=新しいお知らせ")
    page.fill("#title", "助成金の締切のお知らせ")
    page.fill("#body", "市民活動の助成金の申込締切が近づいています。くわしくはリンク先をご覧ください。")
    page.fill("#link_url", "https://example.org/josei")
    page.check("input[name=topics][value=funding]")
    page.click("button[value=preview]")
    assert page.locator("#reach").inner_text() == "1"
    ja = page.locator(".phone[data-register=ja]").inner_text()
    assert "【助成金の締切のお知らせ】" in ja and "https://example.org/josei" in ja and "配信停止" in ja
    save_screenshot(page, "admin-notice")
    page.click("button[value=schedule]")
    assert "配信を予約しました" in page.locator(".flash").first.inner_text()
    send_due_notices(live.app.extensions["madoguchi"])
    inbox = emulator(live, f"/users/{user}/inbox")["messages"]
    assert [m["via"] for m in inbox if "助成金の締切のお知らせ" in visible_text(m["message"])] == ["multicast"]
    page.reload()
    assert page.locator("#delivered").inner_text() == "1 人"
    assert "配信済み" in page.locator("h1").inner_text()
