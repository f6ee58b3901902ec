"""`madoguchi serve`: gunicorn with several workers, refusing to start without secrets."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import strong_secret_key
from bot.platform.db import make_engine, make_session_factory
from bot.platform.models import InboundEvent
from tests.conftest import free_port
from tests.support.events import SECRET, TOKEN, body, sign, text_event

MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))


def _env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "SECRET_KEY", "EMULATOR"))}
    env.update(DATABASE_URL=db_url, LINE_API_BASE=f"http://127.0.0.1:{free_port()}", **extra)
    return env


def test_serve_refuses_to_start_without_secrets(db_url):
    result = subprocess.run([MADOGUCHI, "serve"], env=_env(db_url), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "LINE_CHANNEL_SECRET" in result.stderr and "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("key", ["x", "0123456789abcdef", "k" * 64, "ab" * 40, "short-but-not-hex"])
def test_serve_refuses_a_short_or_patterned_secret_key(db_url, key):
    env = _env(db_url, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN, SECRET_KEY=key)
    result = subprocess.run([MADOGUCHI, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr and "32 random bytes" in result.stderr


def test_random_secret_keys_are_accepted():
    for key in (secrets.token_hex(32), secrets.token_urlsafe(32)):
        assert strong_secret_key(key)


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            if _get(url) == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not come up")


def test_serve_runs_gunicorn_workers_that_share_the_database(db_url, tmp_path):
    port = free_port()
    env = _env(db_url, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN, SECRET_KEY=secrets.token_hex(32))
    log = (tmp_path / "gunicorn.log").open("wb")
    cmd = [MADOGUCHI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/healthz", server)
        for i in range(20):
            payload = body(text_event("こんにちは", user_id=f"U{i:032x}"))
            request = urllib.request.Request(
                f"{base}/callback",
                data=payload.encode(),
                method="POST",
                headers={"Content-Type": "application/json", "X-Line-Signature": sign(payload)},
            )
            # A worker's first event may wait for its warm-up (index and triage models, ~10 s on a busy 2-core box).
            with urllib.request.urlopen(request, timeout=60) as response:
                assert response.status == 200
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 20
    engine.dispose()
