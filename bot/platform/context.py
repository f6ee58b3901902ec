"""What handlers need besides the session: the centre profile, the knowledge index, the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.platform import db
from bot.platform.centre import CentreProfile
from knowledge.store import IndexCache


class BotContext:
    """Per-process services shared by every event."""

    def __init__(
        self,
        profile: CentreProfile,
        knowledge: IndexCache,
        tz: ZoneInfo | None = None,
        clock: Callable[[], datetime] | None = None,
        retention_days: int = 365,
    ) -> None:
        self.profile = profile
        self.knowledge = knowledge
        self.tz = tz or ZoneInfo("Asia/Tokyo")
        self.retention_days = retention_days  # transcripts older than this are anonymised (RETENTION_DAYS)
        if clock is not None:
            self.clock = clock

    @property
    def clock(self) -> Callable[[], datetime]:
        """The app's clock (`db.utcnow`): one per process, so every timestamp written agrees with it."""
        return db.utcnow

    @clock.setter
    def clock(self, value: Callable[[], datetime]) -> None:
        db.set_clock(None if value is db.utcnow else value)

    def now(self) -> datetime:
        """Current time in the centre's timezone."""
        return self.clock().astimezone(self.tz)

    def today(self) -> date:
        """Today's date in the centre's timezone."""
        return self.now().date()
