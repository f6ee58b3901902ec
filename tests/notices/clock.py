"""The notice tests' app clock: it runs from the middle of the month, and tests move it forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.platform.db import set_clock

TOKYO = ZoneInfo("Asia/Tokyo")
_shift = {"by": timedelta(0)}


@pytest.fixture
def mid_month():
    """The app's clock runs from noon on the 15th of this month (Tokyo), so moving it never changes the month
    the push budget is counted in."""
    real_start = datetime.now(UTC)
    anchor = real_start.astimezone(TOKYO).replace(day=15, hour=12, minute=0).astimezone(UTC)
    _shift["by"] = timedelta(0)
    set_clock(lambda: anchor + (datetime.now(UTC) - real_start) + _shift["by"])
    yield
    set_clock(None)


def move_clock(minutes: float) -> None:
    """Move the app's clock (every timestamp it writes, the worker's `now`) forward (with `mid_month`)."""
    _shift["by"] += timedelta(minutes=minutes)
