"""The admin in a real browser (Debian's Chromium, headless, offline) with the bot behind the LINE emulator.

Covers: login/logout and lock-out; create, preview, try, draft, publish, edit and revert an FAQ and see the
bot answer with the new text through the emulator; an unanswered question turned into a paraphrase that the
bot then answers; the dashboard with seeded data; a <script> answer that never runs. Two screenshots are kept
in test-artifacts/ (the editor with its preview, the dashboard) to look at.
"""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from admin.demo import seed_demo_activity
from admin.people import accounts
from bot.app import create_app
from bot.line.messages import visible_text
from knowledge import editing
from knowledge.models import FaqEntry
from tests.conftest import copy_template
from tests.support.admin import PASSWORD, create_user, login_as
from tests.support.browser import missing_reason, save_screenshot
from tests.support.live_server import LiveServer, emulator_config

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))


@pytest.fixture(scope="module")
def live(template_db, tmp_path_factory):
    """The whole app (bot + emulator + admin) on a free loopback port, with its own database for this module."""
    url = copy_template(template_db, tmp_path_factory.mktemp("browser"))

    def build(base: str):
        return create_app(
            {
                **emulator_config(base, url),
                "SEND_ASYNC": False,
            }
        )

    with LiveServer.for_app_factory(build) as server:
        yield server
    services = server.app.extensions["madoguchi"]
    services.sender.shutdown()
    services.engine.dispose()


class Resident:
    """A LINE user typing into the emulator; `says` returns what the bot replied, as readable text."""

    def __init__(self, base: str):
        self.base, self.user = base, "U" + uuid.uuid4().hex

    def says(self, text: str) -> str:
        request = urllib.request.Request(  # noqa: S310 (the loopback test server)
            f"{self.base}/emulator/api/users/{self.user}/messages",
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return "\n".join(visible_text(m) for m in json.loads(response.read())["replies"])


def sign_in(page, live, role="staff"):
    return login_as(page, role, app=live.app, base_url=live.url)


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def test_login_logout_and_lock_out(page, live):
    page.goto(f"{live.url}/admin/faq/")
    assert "/admin/login?next=/admin/faq/" in page.url
    locked = create_user(live.app, "staff")
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        page.fill("#email", locked.email)
        page.fill("#password", "wrong-password")
        page.click("button[type=submit]")
    assert "ロック" in flash(page)
    page.fill("#email", locked.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert "ロック" in flash(page) and "/admin/login" in page.url
    other = create_user(live.app, "staff")
    page.goto(f"{live.url}/admin/faq/")
    page.fill("#email", other.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin/faq/")
    page.click("text=ログアウト")
    assert "ログアウトしました" in flash(page)
    page.goto(f"{live.url}/admin/")
    assert "/admin/login" in page.url


def test_create_preview_try_publish_edit_and_revert_an_faq(page, live):
    resident, asked = Resident(live.url), "ぶらうざで つくった ふぁっく"
    sign_in(page, live)
    page.goto(f"{live.url}/admin/faq/new?topic=centre_info")
    page.fill("#id", "centre_info.browser_probe")
    page.fill("#question", "ブラウザで作ったFAQはありますか？")
    page.fill("#paraphrases", asked)
    page.fill("#answer", "最初の回答です。センターでお待ちしています。")
    page.locator("#preview [data-register=ja]").get_by_text("最初の回答です。", exact=False).wait_for()
    assert "only available in Japanese" in page.locator("#preview [data-register=en]").inner_text()
    assert "ブラウザで作ったFAQはありますか？" in page.locator("#preview").inner_text()
    page.fill("#try-q", asked)
    page.click("button[data-try]")
    page.locator("#try-results tr.mine").wait_for()
    assert "この回答を返す" in page.locator("#try-results").inner_text()
    save_screenshot(page, "admin-editor")
    page.click("button[value=draft]")
    assert "下書きを保存しました" in flash(page)
    assert "最初の回答です" not in resident.says(asked)
    page.click("#publish")
    assert "公開しました" in flash(page)
    assert "最初の回答です" in resident.says(asked)
    page.fill("#answer", "二番目の回答です。")
    page.click("#publish")
    assert "二番目の回答です" in resident.says(asked)
    page.click("text=変更履歴と差分・元に戻す")
    assert "+ 二番目の回答です。" in page.locator("#history").inner_text()
    page.click("form[action$='/revert/2'] button")
    assert "版 2 の内容を公開しました" in flash(page) and page.dialogs
    said = resident.says(asked)
    assert "最初の回答です" in said and "二番目" not in said


def test_an_unanswered_question_becomes_a_paraphrase_the_bot_answers(page, live):
    resident, odd = Resident(live.url), "あつまる人数は何人いれば"
    assert "社員が10人以上必要です" not in resident.says(odd)
    sign_in(page, live)
    page.goto(f"{live.url}/admin/unanswered/")
    group = page.locator("section.group", has_text=odd).first
    assert group.locator("input[name=faq_id]:checked").count() == 0  # no target is chosen for staff
    group.locator("input[name=faq_id][value=other]").check()
    group.locator("input[name=faq_other]").fill("founding.npo_min_members")
    group.locator("input[name=text]").fill(odd)
    group.locator("button[type=submit].primary").click()  # the obvious button previews; nothing is published
    page.wait_for_url("**/admin/unanswered/preview?**")
    assert "まだ公開していません" in page.locator("h1").inner_text()
    assert "社員が10人以上必要です" in page.locator("#paraphrase-target").inner_text()
    assert "この回答を返す" in page.locator("#paraphrase-scores").inner_text().split("この編集を公開したら")[1]
    save_screenshot(page, "admin-unanswered-preview")
    page.locator("form.actions button.primary").click()
    assert "言い換えとして追加し、公開しました" in flash(page)
    assert page.locator("section.group", has_text=odd).count() == 0
    assert "社員が10人以上必要です" in resident.says(odd)


def test_the_dashboard_renders_with_seeded_data(page, live):
    services = live.app.extensions["madoguchi"]
    with services.session_factory() as session:
        seed_demo_activity(session, services.context.today())
        session.commit()
    sign_in(page, live)
    page.goto(f"{live.url}/admin/insights/")
    assert page.locator("svg.chart").count() >= 5
    assert page.locator("#answer-rate").inner_text().endswith("%")
    assert page.locator("#table-intents tr").count() >= 3
    save_screenshot(page, "admin-dashboard")


def test_a_script_in_an_answer_never_runs(page, live):
    script = "<script>alert('xss')</script>"
    with live.app.extensions["madoguchi"].session_factory() as session:
        data = editing.row_data(session.get(FaqEntry, "centre_info.hours"))
        editing.publish(session, {**data, "answer": f"営業時間{script}<img src=x onerror=alert(2)>"}, "t")
        session.commit()
    sign_in(page, live)
    page.goto(f"{live.url}/admin/faq/e/centre_info.hours")
    assert script in page.locator("#preview").inner_text()
    page.fill("#answer", f"編集中{script}")
    page.locator("#preview").get_by_text("編集中", exact=False).wait_for()
    page.goto(f"{live.url}/admin/faq/?q=営業時間")
    page.goto(f"{live.url}/admin/faq/e/centre_info.hours/history")
    assert page.dialogs == []


def test_the_faq_editor_offers_booking_types_by_their_names(page, live):
    sign_in(page, live)
    page.goto(f"{live.url}/admin/faq/e/founding.npo_min_members")
    options = page.locator("#booking option").all_inner_texts()
    assert "士業相談会（会計・労務）" in options and "ボランタリー活動相談" in options
    assert not {"general", "shigyo", "partnering", "dissolution"} & set(options)
    page.select_option("#booking", label="士業相談会（会計・労務）")
    assert page.locator("#booking").input_value() == "shigyo"  # the form still sends the code
