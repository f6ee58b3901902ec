"""One scheduler leader per database: a second worker waits as a standby and takes over when the first dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.platform.db import make_engine
from bot.platform.leader import Leadership
from tests.conftest import free_port

ACQUIRED = "scheduler leadership acquired"
STANDBY = "waiting as a standby"


def test_only_one_leadership_at_a_time_and_release_hands_it_over(db_url):
    engine = make_engine(db_url)
    first, second = Leadership(engine), Leadership(engine)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.still_held()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()
        engine.dispose()


def _start_worker(db_url: str, log: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=db_url, LINE_API_BASE=f"http://127.0.0.1:{free_port()}", SEND_ASYNC="0")
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env, stdout=out, stderr=out)


def _wait_for(log: Path, needle: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if needle in log.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def test_a_standby_worker_takes_over_when_the_leader_is_killed(db_url, tmp_path):
    leader_log, standby_log = tmp_path / "leader.log", tmp_path / "standby.log"
    leader = _start_worker(db_url, leader_log)
    standby = None
    try:
        assert _wait_for(leader_log, ACQUIRED), leader_log.read_text()
        standby = _start_worker(db_url, standby_log)
        assert _wait_for(standby_log, STANDBY), standby_log.read_text()
        assert ACQUIRED not in standby_log.read_text()
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        assert _wait_for(standby_log, ACQUIRED), standby_log.read_text()
        assert "scheduler started with jobs" in standby_log.read_text()
    finally:
        for process in (leader, standby):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
    assert standby.returncode == 0


def test_the_scheduler_runs_every_booking_handoff_and_outbox_job(app):
    from bot.platform.scheduler import build_scheduler

    ids = {job.id for job in build_scheduler(app.extensions["madoguchi"]).get_jobs()}
    assert {"outbox", "send_booking_reminders", "expire_booking_holds", "notify_new", "escalate_unpicked"} <= ids
    assert "auto_return_silent" in ids
