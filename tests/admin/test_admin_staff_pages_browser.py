"""Staff pages of issue #15 in Debian's Chromium (Playwright), on the demo's data behind the LINE emulator.

The app's clock runs from Tuesday 8 December 2026, 18:00 in Yokohama (after the 17:00 cut-off for Wednesday).
Covers: the console and the booking pages inside the one admin layout with role-aware navigation; the week
calendar on a tablet (768×1024) with the keyboard; the calendar and the resident's date chips agreeing; the
demo's residents in the chat simulator (a coordinator's reply reaches デモ 花子, not a stranger); the insights
booking panel counting by the day a booking was made or held. With MADOGUCHI_README_SCREENSHOTS=1 the console
and calendar screenshots are also written to docs/screenshots/ for the README.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from admin.operations.week import VERDICT_JA
from bot.app import create_app
from bot.booking import service
from bot.booking.models import ConsultationType, Slot
from bot.booking.rules import TOKYO
from bot.booking.settings import booking_settings
from bot.handoff.demo import DEMO_USER
from bot.line.messages import visible_text
from bot.platform.db import unit_of_work, utcnow
from bot.tools.demo import seed_demo_data
from bot.tools.demo_simulator import seed_simulator_users
from tests.booking.factories import make_user
from tests.conftest import copy_template
from tests.support.admin import login_as
from tests.support.browser import missing_reason, save_screenshot
from tests.support.live_server import LiveServer, emulator_config

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))
START = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # Tuesday 8 December 2026, 18:00 in Yokohama
TABLET = {"width": 768, "height": 1024}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class RunningClock:
    """The app's clock: starts at a fixed moment and runs on with real time (reply tokens and waits still work)."""

    def __init__(self, start: datetime):
        self.start, self.began = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


@pytest.fixture(scope="module")
def live(template_db, tmp_path_factory):
    """Bot + emulator + admin on a free port with the demo's data (slots, hand-off, activity, simulator users)."""
    folder = tmp_path_factory.mktemp("staff-pages")
    url = copy_template(template_db, folder)

    def build(base: str):
        app = create_app({**emulator_config(base, url), "SEND_ASYNC": False})
        svc = app.extensions["madoguchi"]
        app.config["TEST_CLOCK"] = RunningClock(START)
        svc.context.clock = app.config["TEST_CLOCK"]
        seed_demo_data(svc, folder)
        seed_simulator_users(app)
        return app

    with LiveServer.for_app_factory(build) as server:
        # the first typed message trains the intent model inside its transaction: do it before the tests
        api(server, f"users/U{'0' * 31}9/messages", {"text": "理事会の進め方に迷っています"}, timeout=300)
        try:
            yield server
        finally:
            services = server.app.extensions["madoguchi"]
            services.context.clock = utcnow
            services.sender.shutdown()
            services.engine.dispose()


@pytest.fixture(autouse=True)
def running_clock(live):
    """The module's running clock for every test (tests/conftest.py restores real time after each one)."""
    live.app.extensions["madoguchi"].context.clock = live.app.config["TEST_CLOCK"]


def sign_in(page, live, role: str):
    return login_as(page, role, app=live.app, base_url=live.url)


def shot(page, name: str) -> None:
    """A screenshot in test-artifacts/ and, when asked, in docs/screenshots/ for the README."""
    save_screenshot(page, f"staff-{name}")
    if os.environ.get("MADOGUCHI_README_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)


def api(live, path: str, payload: dict | None = None, timeout: float = 30) -> dict:
    """The emulator's test API (GET, or POST with a JSON body)."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(  # noqa: S310 (the loopback test server)
        f"{live.url}/emulator/api/{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read())


def nav_links(page) -> list[str]:
    return [t.strip() for t in page.locator("header.top nav a").all_inner_texts()]


def test_the_console_and_booking_pages_share_the_admin_layout_and_its_role_aware_navigation(page, live):
    sign_in(page, live, "coordinator")
    page.goto(f"{live.url}/admin/console/")
    links = nav_links(page)
    assert {"相談対応", "相談予約"} <= set(links) and not {"FAQ", "ユーザー", "設定"} & set(links)
    assert page.locator("header.top nav a.on").inner_text() == "相談対応"
    page.locator("tr", has_text="デモ 花子").get_by_role("link", name="開く").click()
    page.wait_for_url("**/admin/console/c/*")
    assert page.locator("header.top .brand").is_visible() and "デモ 花子" in page.locator("h1").inner_text()
    shot(page, "console")
    page.locator("header.top nav").get_by_role("link", name="相談予約").click()
    page.wait_for_url("**/admin/booking/")
    assert page.locator("header.top nav a.on").inner_text() == "相談予約"
    assert "閲覧のみ" in page.locator(".subnav").inner_text()
    assert page.locator("form[action$='/booking/slots'], form[action$='/booking/generate']").count() == 0
    page.locator(".subnav").get_by_role("link", name="予約一覧").click()
    page.wait_for_url("**/admin/booking/bookings")
    assert page.locator("header.top nav a.on").inner_text() == "相談予約"
    page.locator("header.top .brand").click()  # the way back
    page.wait_for_url(f"{live.url}/admin/")

    page.context.clear_cookies()
    sign_in(page, live, "admin")
    page.goto(f"{live.url}/admin/booking/")
    assert {"FAQ", "ユーザー", "設定", "相談予約", "相談対応"} <= set(nav_links(page))
    assert page.locator("form[action$='/booking/generate']").count() == 1 and "閲覧のみ" not in page.content()


def _cards(page) -> list[tuple[str, str, str]]:
    """(column heading, verdict, slot id) of every slot card in the week."""
    return page.eval_on_selector_all(
        "a.slot",
        """els => els.map(e => [e.closest('table').tHead.rows[0].cells[e.closest('td').cellIndex].innerText,
                                e.className.replace('slot v-', ''), e.dataset.slot])""",
    )


def test_the_week_calendar_on_a_tablet_shows_what_residents_can_book_and_works_with_the_keyboard(page, live):
    page.set_viewport_size(TABLET)
    sign_in(page, live, "staff")
    page.goto(f"{live.url}/admin/booking/?type=general")
    assert "2026-12-07 からの1週間" in page.locator("h1").inner_text()
    headings = page.locator("table.week thead th").all_inner_texts()
    assert [h.split("\n")[0].split(" ")[0] for h in headings[1:]] == [
        "12/07（月）",
        "12/08（火）",
        "12/09（水）",
        "12/10（木）",
        "12/11（金）",
    ]
    by_day: dict[str, set[str]] = {}
    for heading, verdict, _id in _cards(page):
        by_day.setdefault(heading.split("（")[0], set()).add(verdict)
    assert by_day == {  # the demo's slots start today
        "12/08": {"past"},
        "12/09": {"deadline"},  # Tuesday 17:00 has passed: the previous business day's cut-off
        "12/10": {"bookable"},
        "12/11": {"bookable"},
    }
    # a tablet: nothing overflows the page or its card, and a card's state stays on one line
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    sizes = page.eval_on_selector_all(
        "a.slot",
        """els => els.map(e => [e.getBoundingClientRect().width, e.scrollWidth - e.clientWidth,
                                e.querySelector('.state').getBoundingClientRect().height])""",
    )
    assert all(width >= 100 and overflow <= 0 and state < 28 for width, overflow, state in sizes), sizes
    shot(page, "calendar")

    first = page.locator("a.slot").first
    first.focus()
    start = first.get_attribute("data-slot")
    page.keyboard.press("ArrowRight")
    right = page.evaluate("document.activeElement.dataset.slot")
    page.keyboard.press("ArrowDown")
    below = page.evaluate("document.activeElement.dataset.slot")
    cards = _cards(page)
    columns = {slot_id: heading for heading, _v, slot_id in cards}
    verdicts = {slot_id: verdict for _h, verdict, slot_id in cards}
    assert columns[right] > columns[start] and columns[below] == columns[right] and below != right
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/booking/slots/{below}")
    assert "相談枠" in page.locator("h1").inner_text()
    assert page.locator("#slot-verdict").inner_text().startswith(VERDICT_JA[verdicts[below]])
    assert page.locator("header.top nav a.on").inner_text() == "相談予約"


def test_the_calendar_offers_the_days_the_residents_date_chips_offer(page, live):
    resident = "U" + "c4" * 16
    api(live, f"users/{resident}/follow", {})
    replies = api(live, f"users/{resident}/postback", {"data": "a=book&t=general"})["replies"]
    chips = [
        item["action"].get("label", "")
        for message in replies
        for item in (message.get("quickReply") or {}).get("items", [])
    ]
    chip_days = {c for c in chips if re.fullmatch(r"12/\d+\(.\)", c)}
    assert "12/9(水)" not in chip_days and {"12/10(木)", "12/11(金)"} <= chip_days, chips
    sign_in(page, live, "staff")
    page.goto(f"{live.url}/admin/booking/?type=general")
    offered = {h.split("（")[0] for h, verdict, _id in _cards(page) if verdict == "bookable"}
    this_week = {f"12/{int(d[3:]):d}" for d in offered}
    assert this_week == {c.split("(")[0] for c in chip_days if int(c[3:].split("(")[0]) <= 13}
    assert "12/9(水)" not in " ".join(visible_text(m) for m in replies)


def test_the_demo_resident_is_in_the_simulator_with_her_history_and_gets_the_coordinators_reply(page, live):
    users = {u["userId"]: u for u in api(live, "users")["users"]}
    assert users[DEMO_USER]["displayName"] == "デモ 花子" and users[DEMO_USER]["following"]
    timeline = api(live, f"users/{DEMO_USER}/timeline")["entries"]
    assert any(e["message"].get("text") == "NPO法人の解散について相談したいです" for e in timeline)
    sign_in(page, live, "coordinator")
    page.goto(f"{live.url}/admin/console/")
    page.locator("tr", has_text="デモ 花子").get_by_role("link", name="開く").click()
    page.get_by_role("button", name="担当する").click()
    page.fill("#reply-text", "センターの担当です。理事会の状況を教えてください。")
    page.locator("#reply-form button[type=submit]").click()
    page.locator("#transcript", has_text="理事会の状況を教えてください").wait_for()
    inbox = [visible_text(m["message"]) for m in api(live, f"users/{DEMO_USER}/inbox")["messages"]]
    assert any("理事会の状況を教えてください" in text for text in inbox)
    assert set(u["userId"] for u in api(live, "users")["users"]) == set(users)  # nobody new was created

    simulator = page.context.new_page()
    simulator.goto(f"{live.url}/emulator/")
    simulator.select_option("#user-select", DEMO_USER)
    chat = simulator.locator("#chat")
    chat.get_by_text("NPO法人の解散について相談したいです").wait_for()
    chat.get_by_text("理事会の状況を教えてください", exact=False).wait_for()
    simulator.fill("#text", "理事3名のうち2名が解散に賛成です")
    simulator.locator("#composer button[type=submit]").click()
    simulator.locator("#chat").get_by_text("理事3名のうち2名が解散に賛成です").wait_for()
    simulator.close()
    page.bring_to_front()  # the console polls while it is the visible tab
    page.locator("#transcript", has_text="理事3名のうち2名が解散に賛成です").wait_for(timeout=20_000)


def test_the_insights_booking_panel_counts_bookings_made_today_for_later_dates(page, live):
    svc = live.app.extensions["madoguchi"]
    now = svc.context.now()
    with unit_of_work(svc.session_factory) as s:
        settings = booking_settings(s, tuple(svc.context.profile.closures))
        general = s.scalar(select(ConsultationType).where(ConsultationType.code == "general"))
        later = s.scalars(
            select(Slot)
            .where(Slot.type_id == general.id, Slot.starts_at > now + timedelta(days=3))
            .order_by(Slot.starts_at)
            .limit(2)
        ).all()
        for n, slot in enumerate(later):
            user = make_user(s, f"insight{n}")
            hold = service.hold_slot(s, user.id, slot.id, now, settings)
            service.confirm_booking(s, hold.id, user.id, now, settings)
        held_on = {slot.starts_at.astimezone(TOKYO).date() for slot in later}
    assert min(held_on) > now.date()
    sign_in(page, live, "staff")
    page.goto(f"{live.url}/admin/insights/")
    panel = page.locator("#panel-bookings")
    assert "予約を受けた日が期間内" in panel.locator("#bookings-basis").inner_text()
    row = panel.locator("#table-bookings tr", has_text=general.name)
    assert row.locator("td").nth(1).inner_text() == "2"
    panel.get_by_role("link", name="相談の日で数える").click()
    page.wait_for_url("**bookings_by=held**")
    panel = page.locator("#panel-bookings")
    assert "相談の日が期間内" in panel.locator("#bookings-basis").inner_text()
    assert panel.locator("#table-bookings tr", has_text=general.name).count() == 0
