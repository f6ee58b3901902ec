"""Webhook latency for text events (p50/p99 over 1,000 events) through a real HTTP server, with the emulator."""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from bot.app import create_app
from bot.line.emulator import store_for
from bot.line.emulator.webhook_sender import make_event, message_content
from bot.tools.demo import prepare_database
from tests.bench.retrieval import percentile
from tests.support.events import SECRET, TOKEN, sign
from tests.support.live_server import LiveServer

EVENTS = 1_000
USERS = 100
QUESTIONS = [
    "ボランティアを始めたい",
    "解散 どうする",
    "センターは何時まで？",
    "NPO法人 何人必要",
    "協働って何",
    "こんにちは",
    "町内会をたたみたい",
    "助成金を探してる",
    "駐車場ある？",
    "相談したい",
]


def _post(url: str, payload: str) -> float:
    request = urllib.request.Request(
        url,
        data=payload.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Line-Signature": sign(payload)},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # the first may wait for the models to load
        response.read()
    return (time.perf_counter() - start) * 1000


def run() -> list[str]:
    """Post 1,000 signed text events from 100 users; print webhook latency (the bot replies asynchronously)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        prepare_database(url)
        with LiveServer.for_app_factory(
            lambda base: create_app(
                {
                    "DATABASE_URL": url,
                    "LINE_CHANNEL_SECRET": SECRET,
                    "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                    "LINE_API_BASE": f"{base}/emulator/line",
                    "EMULATOR_ENABLED": True,
                    "LOG_LEVEL": "WARNING",
                }
            )
        ) as server:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
            callback, store = f"{server.url}/callback", store_for(server.app)
            latencies = []
            for i in range(EVENTS):  # events made by the emulator, so that their reply tokens are valid
                message = message_content({"type": "text", "text": QUESTIONS[i % len(QUESTIONS)]}, store.message_id())
                event = make_event(store, "message", f"U{i % USERS:032x}", message=message)
                latencies.append(_post(callback, json.dumps({"events": [event]}, ensure_ascii=False)))
            server.app.extensions["madoguchi"].sender.shutdown()  # the replies, before the emulator goes away
    return [
        f"text events: {EVENTS} from {USERS} users, SQLite, one process",
        f"webhook latency p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 99):.1f} ms",
    ]
