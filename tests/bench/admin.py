"""Admin page render times (p50/p99 per page) with the demo data, through the Flask test client (no network)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bot.app import create_app
from bot.tools.demo import prepare_database, seed_demo_data
from tests.bench.retrieval import percentile
from tests.support.admin import post_form

PAGES = (
    "/admin/",
    "/admin/faq/",
    "/admin/faq/?q=解散",
    "/admin/unanswered/",
    "/admin/insights/",
    "/admin/console/",
    "/admin/booking/",
    "/admin/settings/",
)
ROUNDS = 30


def run() -> list[str]:
    """Log in as the demo admin and GET each page ROUNDS times; one line per page."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        prepare_database(url)
        app = create_app({"DATABASE_URL": url, "TESTING": True, "LOG_LEVEL": "WARNING", "SEND_ASYNC": False})
        email, password = seed_demo_data(app.extensions["madoguchi"], Path(tmp))[0]
        client = app.test_client()
        assert post_form(client, "/admin/login", {"email": email, "password": password}).status_code == 302
        lines = [f"SQLite with the demo data, {ROUNDS} renders per page after one warm-up"]
        for page in PAGES:
            assert client.get(page).status_code == 200, page
            times = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                client.get(page)
                times.append((time.perf_counter() - start) * 1000)
            lines.append(f"{page:<24} p50 {statistics.median(times):6.1f} ms   p99 {percentile(times, 99):6.1f} ms")
        app.extensions["madoguchi"].engine.dispose()
    return lines
