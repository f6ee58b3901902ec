"""Booking tunables: defaults in code, overridden by rows of the `settings` table (key "booking.<name>")."""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.platform.models import Setting

log = logging.getLogger(__name__)

# 12/29–1/3 is a stated default (the usual year-end closure of Yokohama city facilities); the seeds do not
# give the centre's closures, so staff must confirm them (setting "booking.closures").
DEFAULT_CLOSURES = ("12-29", "12-30", "12-31", "01-01", "01-02", "01-03")


@dataclass(frozen=True)
class BookingSettings:
    """Staff-tunable booking values (every one has a default here)."""

    reminder_time: str = "10:00"  # the day-before reminder, local time (within counter hours, so one can call)
    reminder_2h: bool = False  # the optional reminder 2 hours before (off by default: pushes cost quota)
    max_open_per_user: int = 2
    hold_minutes: int = 10
    offer_minutes: int = 60  # how long a waitlist offer holds the seat
    window_days: int = 60  # for types without their own window
    closures: tuple[str, ...] = DEFAULT_CLOSURES


def booking_settings(session: Session, profile_closures: tuple[str, ...] = ()) -> BookingSettings:
    """The defaults with any `booking.*` settings rows applied; closures also include the centre profile's."""
    rows = session.scalars(select(Setting).where(Setting.key.like("booking.%"))).all()
    values = {row.key.removeprefix("booking."): row.value for row in rows}
    base = BookingSettings()
    overrides = {}
    for f in fields(BookingSettings):
        if values.get(f.name) is not None:
            try:
                overrides[f.name] = _coerce(getattr(base, f.name), values[f.name])
            except (TypeError, ValueError):
                log.warning("setting booking.%s=%r ignored (bad value)", f.name, values[f.name])
    result = replace(base, **overrides)
    return replace(result, closures=tuple(dict.fromkeys((*result.closures, *profile_closures))))


def _coerce(default, value):
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, tuple):
        return tuple(str(v) for v in value)
    return str(value)
