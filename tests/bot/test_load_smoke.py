"""The load benchmark's machinery (`make bench-load`), run very briefly so that it cannot rot.

Both apps under gunicorn (one worker each), the emulator in its own process, two short low rates (the bot on repeated
and on never-seen texts): every event is answered, replied to once and only once, and the servers and the emulator
are gone afterwards.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time

import pytest

from intents import classify
from tests.bench.load import HEADER, cpu_seconds, run_load
from tests.bench.texts import TEXTS, distinct_texts


def test_load_benchmark_runs_briefly_without_lost_or_duplicated_replies(db_url):
    lines = []
    result = run_load(db_url, workers=1, threads=2, rates=(4, 8), seconds=1, progress=lines.append, grace=0.2, warm=0)
    assert [s.app for s in result.bot] == ["bot", "bot"] and [s.app for s in result.echo] == ["echo", "echo"]
    assert [s.texts for s in result.bot] == ["repeated"] * 2
    # never-seen texts cost an embedding each (~45 ms of CPU): on a loaded machine the climb may stop after 4/s
    assert [s.texts for s in result.bot_new] in (["distinct"], ["distinct"] * 2)
    sent = [len(s.events) for s in result.bot_new]
    assert result.bot_new[0].app == "bot" and sent == [4, 8][: len(sent)]  # 4/s (and 8/s) for a second
    for stage in result.stages:
        assert stage.ok == len(stage.events) > 0 and not stage.failed, stage.row()
        assert len(stage.reply_ms) == stage.ok, stage.row()
    assert result.lost == 0 and result.duplicated == 0
    assert result.violations == 0
    assert all(s.cpu_ms is not None and s.cpu_ms >= 0 for s in result.stages)  # a 1-second stage may use < 1 tick
    assert len(lines) == 4 + len(result.bot_new) and len(HEADER.splitlines()[0].split()) > 10
    assert any(" distinct " in line for line in lines)
    assert any("distinct texts" in line for line in result.verdict.lines())
    for pid in result.pids:  # both gunicorn masters and the emulator are gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_distinct_texts_are_never_repeated_and_are_questions_the_bot_answers_itself():
    texts = list(itertools.islice(distinct_texts(), 12_000))
    assert len(set(texts)) == len(texts) and not set(texts) & set(TEXTS)
    handed_on = [text for text in texts[:300] if classify(text).intent in ("crisis", "human", "booking")]
    assert len(handed_on) <= 3  # the triage changes: a rare one that would start a hand-off or a flow is no matter


def test_cpu_seconds_counts_a_busy_process_and_its_children():
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    spawn = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {busy!r}])"
    parent = subprocess.Popen([sys.executable, "-c", spawn], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds([parent.pid]) < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cpu_seconds([parent.pid]) >= 0.25  # the grandchild's 0.3 s of CPU, in 10 ms ticks
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
