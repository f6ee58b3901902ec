"""kill -9 of the worker (`madoguchi worker`) while a notice's multicast is with LINE: a restarted worker
finishes the notice and every opted-in resident has it exactly once, whether or not LINE had delivered it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.notices.models import Notice
from bot.platform.db import utcnow
from tests.notices.conftest import opt_in
from tests.notices.test_notice_send import MULTICAST, notices_received, used_this_month
from tests.support.events import TOKEN
from tests.support.line_faults import wait_until

LEASE = 2  # seconds a dead worker's claim keeps others away
ROOT = Path(__file__).resolve().parents[2]


def start_worker(live, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": live.app.config["DATABASE_URL"],
        "LINE_API_BASE": f"{live.base}/emulator/line",
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_TIMEOUT": "30",  # the worker waits for the held multicast until it is killed
        "OUTBOX_CLAIM_SECONDS": str(LEASE),
        "SEND_ASYNC": "0",
    }
    with log.open("ab") as out:
        worker = [sys.executable, "-m", "tests.support.quick_worker"]  # `madoguchi worker`, notices every second
        return subprocess.Popen(  # noqa: S603 (fixed argv; from the repository root, where `tests` is importable)
            worker, env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("processed", [True, False], ids=["LINE had delivered it", "LINE had not"])
def test_a_worker_killed_mid_multicast_leaves_every_resident_with_the_notice_exactly_once(live, tmp_path, processed):
    wanted = [live.resident() for _ in range(3)]
    for resident in wanted:
        opt_in(resident, "団体の設立・運営")
    other = live.resident()
    opt_in(other, "ボランティア")
    used, consumed = used_this_month(live), live.line.consumption
    notice_id = live.add_notice(["founding"])  # due now
    live.emulator.fault(paths=[MULTICAST], mode="timeout", delay_ms=20000, deliver=processed)
    log = tmp_path / "worker.log"
    first = start_worker(live, log)
    try:
        wait_until(live.emulator.injected, timeout=90, interval=0.2)  # the multicast is held by LINE
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    assert live.notice(notice_id).status == "sending"
    second = start_worker(live, log)
    try:
        wait_until(lambda: live.notice(notice_id).status == "sent", timeout=120, interval=0.5)
    finally:
        stop(second)
    assert [len(notices_received(live, r)) for r in wanted] == [1, 1, 1], log.read_text()[-3000:]
    assert notices_received(live, other) == []
    notice: Notice = live.notice(notice_id)
    assert (notice.recipients, notice.delivered, notice.failed) == (3, 3, 0)
    assert notice.finished_at is not None and notice.finished_at <= utcnow()
    assert live.line.consumption - consumed == 3
    assert used_this_month(live) - used == 3
