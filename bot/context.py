"""What handlers need besides the session: the centre profile, the knowledge index, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.centre import CentreProfile
from bot.db import utcnow
from knowledge.store import IndexCache


@dataclass
class BotContext:
    """Per-process services shared by every event."""

    profile: CentreProfile
    knowledge: IndexCache
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Tokyo"))
    clock: Callable[[], datetime] = utcnow
    retention_days: int = 365  # transcripts older than this are anonymised (RETENTION_DAYS)

    def now(self) -> datetime:
        """Current time in the centre's timezone."""
        return self.clock().astimezone(self.tz)

    def today(self) -> date:
        """Today's date in the centre's timezone."""
        return self.now().date()
