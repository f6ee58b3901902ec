"""Hand-off tunables: defaults in code, overridden by rows of the `settings` table."""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.platform.models import Setting

log = logging.getLogger(__name__)
PUSH_BUDGET_KEY = "push_monthly_budget"  # shared with the admin dashboard; the free LINE plan allows 200
PREFIX = "handoff."


@dataclass(frozen=True)
class HandoffSettings:
    """Staff-tunable hand-off values; the settings key is `handoff.<name>` (the push budget has its own key)."""

    expected_wait_minutes: int = 15  # what residents are told during opening hours
    escalate_minutes: int = 15  # not picked up within this much opening time → the escalation contact
    escalate_urgent_minutes: int = 5  # urgent (crisis) hand-offs, at any hour
    silence_hours: int = 72  # an open hand-off with no message for this long returns to the bot
    push_monthly_budget: int = 200
    push_warn_ratio: float = 0.8
    sender_name: str = "センターの相談員"  # LINE's sender name on coordinators' messages (≤ 20 characters)
    sender_icon_url: str = ""  # an https image URL shown as the coordinator's icon; empty: the account's icon


def handoff_settings(session: Session) -> HandoffSettings:
    """The defaults with any `handoff.*` rows and `push_monthly_budget` applied (bad values are ignored)."""
    keys = [PREFIX + f.name for f in fields(HandoffSettings)] + [PUSH_BUDGET_KEY]
    rows = {row.key: row.value for row in session.scalars(select(Setting).where(Setting.key.in_(keys)))}
    overrides = {}
    for f in fields(HandoffSettings):
        key = PUSH_BUDGET_KEY if f.name == "push_monthly_budget" else PREFIX + f.name
        value = rows.get(key)
        if value is None:
            continue
        try:
            overrides[f.name] = type(getattr(HandoffSettings, f.name))(value)
        except (TypeError, ValueError):
            log.warning("setting %s=%r ignored (bad value)", key, value)
    return replace(HandoffSettings(), **overrides)
