"""The load benchmark's machinery (`make bench-load`), run very briefly so that it cannot rot.

Both apps under gunicorn (one worker each), the emulator in its own process, two short low rates: every event is
answered, replied to once and only once, and the servers and the emulator are gone afterwards.
"""

from __future__ import annotations

import os

import pytest

from tests.bench.load import HEADER, run_load


def test_load_benchmark_runs_briefly_without_lost_or_duplicated_replies(db_url):
    lines = []
    result = run_load(db_url, workers=1, threads=2, rates=(4, 8), seconds=1, progress=lines.append, grace=0.2)
    assert [s.app for s in result.bot] == ["bot", "bot"] and [s.app for s in result.echo] == ["echo", "echo"]
    for stage in result.stages:
        assert stage.ok == len(stage.events) > 0 and not stage.failed, stage.row()
        assert len(stage.reply_ms) == stage.ok, stage.row()
    assert result.lost == 0 and result.duplicated == 0
    assert result.violations == 0
    assert all(s.cpu_ms is not None and s.cpu_ms > 0 for s in result.stages)
    assert len(lines) == 4 and len(HEADER.splitlines()[0].split()) > 10
    assert len(result.verdict.lines()) >= 2
    for pid in result.pids:  # both gunicorn masters and the emulator are gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
