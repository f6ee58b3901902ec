"""Playwright in Debian's Chromium, offline: one browser for the browser-test module, a fresh page per test.

Never runs `playwright install` (no downloads here): it launches /usr/bin/chromium (`.ci/install-browser` puts it
there) with flags that keep it off the network, in a fresh user-data dir. A failing test leaves a screenshot in
test-artifacts/. The browser is module-scoped on purpose: Playwright's sync API keeps an asyncio loop running in
the main thread, which would break later tests that call asyncio.run().
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (run .ci/install-browser, which installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright; no browser download is needed)"
    return None


@pytest.fixture(scope="module")
def browser_context():
    """A persistent Chromium context in a fresh user-data dir (a tablet-sized viewport, Japanese locale)."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="madoguchi-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1180, "height": 820},
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context, request):
    """A new page with no cookies; on failure its screenshot is saved to test-artifacts/."""
    browser_context.clear_cookies()
    page = browser_context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.dialogs = dialogs
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        save_screenshot(page, request.node.nodeid)
    page.close()


def save_screenshot(page, name: str) -> Path:
    """Write a full-page screenshot to test-artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", name).strip("_") + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def record_reports(item, call, outcome) -> None:
    """Keep each phase's report on the test item (call this from a pytest_runtest_makereport hookwrapper)."""
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
