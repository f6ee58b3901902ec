"""`make demo` data: slots for the next 8 weeks, admin and coordinator logins, a waiting resident (idempotent)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import config as config_mod
from bot.app import create_app
from bot.booking.models import Slot
from bot.dialogue import texts
from bot.dialogue.texts import t
from bot.handoff.models import Handoff
from bot.platform.db import make_engine
from bot.platform.leader import Leadership
from bot.tools.demo import demo_env, quiet_routine_logs, seed_demo_data
from tests.bot.test_worker_leader import ACQUIRED
from tests.conftest import free_port, offline_config
from tests.support.admin import post_form


def test_demo_data_is_seeded_once_with_working_logins_and_future_slots(app, tmp_path):
    svc = app.extensions["madoguchi"]
    first = seed_demo_data(svc, tmp_path)
    again = seed_demo_data(svc, tmp_path)
    assert first == again
    assert [email for email, _ in first] == ["admin@example.org", "coordinator@example.org"]
    now = svc.context.clock()
    with svc.session_factory() as session:
        starts = session.scalars(select(Slot.starts_at)).all()
        today = svc.context.today()
        assert starts and min(s.astimezone(svc.context.tz).date() for s in starts) >= today
        assert max(starts) > now + timedelta(weeks=6)
        assert max(starts) <= now + timedelta(weeks=9)
        assert session.scalar(select(func.count()).select_from(Handoff)) == 1
    client = app.test_client()
    email, password = first[1]
    assert post_form(client, "/admin/login", {"email": email, "password": password}).status_code == 302
    assert "デモ 花子" in client.get("/admin/console/").get_data(as_text=True)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie nobody has reaped yet counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state


def _until(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_stopping_the_demo_stops_its_worker_and_frees_the_leader_lock(db_url, tmp_path, stop):
    log = tmp_path / "demo.log"
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "bot", "demo", "--port", str(free_port())]
    with log.open("wb") as out:
        demo = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        assert _until(lambda: ACQUIRED in log.read_text(errors="replace")), log.read_text(errors="replace")
        [worker] = [int(pid) for pid in subprocess.check_output(["pgrep", "-P", str(demo.pid)], text=True).split()]
        demo.send_signal(stop)
        demo.wait(timeout=30)
        assert _until(lambda: not _alive(worker), 30), f"the worker outlived the demo ({stop.name})"
    finally:
        subprocess.run(["pkill", "-KILL", "-s", str(demo.pid)], check=False)  # only this test's session
        if demo.poll() is None:
            demo.wait(timeout=10)
    engine = make_engine(db_url)
    try:
        leadership = Leadership(engine)
        assert leadership.try_acquire(), "the leader lock is still held"
        leadership.release()
    finally:
        engine.dispose()


def test_a_demo_on_another_port_links_the_privacy_page_on_that_port(db_url):
    env = demo_env("127.0.0.1", 8001)
    assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:8001"
    app = create_app(offline_config(db_url, PUBLIC_BASE_URL=config_mod.from_env(env)["PUBLIC_BASE_URL"]))
    try:
        assert "http://127.0.0.1:8001/privacy" in t("privacy.line")
    finally:
        app.extensions["madoguchi"].engine.dispose()
        texts.configure(config_mod.PUBLIC_BASE_URL_DEFAULT)


def test_the_demo_quiets_the_scheduler_and_request_logs_only_when_it_runs():
    loggers = [logging.getLogger(name) for name in ("apscheduler", "werkzeug")]
    before = [logger.level for logger in loggers]
    try:
        quiet_routine_logs()
        assert all(logger.getEffectiveLevel() == logging.WARNING for logger in loggers)
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)


def _make_dry_run(*targets: str) -> str:
    """The commands `make` would run for `targets` on a fresh checkout (-W: as if pyproject.toml were new)."""
    root = Path(__file__).resolve().parents[2]
    command = ["make", "-n", "-W", "pyproject.toml", *targets]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout  # noqa: S603


def test_make_demo_installs_only_the_font_and_make_test_installs_postgresql_and_chromium():
    demo = _make_dry_run("demo", "PORT=8001")
    assert "bash .ci/install-system-deps\n" in demo
    assert "install-system-deps test" not in demo and "install-browser" not in demo
    assert "madoguchi demo --port 8001" in demo
    test = _make_dry_run("test")
    assert "install-system-deps test" in test and "install-browser" in test
    script = (Path(__file__).resolve().parents[2] / ".ci/install-system-deps").read_text()
    assert script.index("postgresql-15") > script.index('"${1:-}" = test')
