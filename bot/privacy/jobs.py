"""The retention job for the one scheduler process (`madoguchi worker`): a plain function of the services."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.platform.db import unit_of_work
from bot.platform.services import Services
from bot.privacy.retention import apply_retention

log = logging.getLogger(__name__)


def anonymise_expired_records(svc: Services, now: datetime | None = None) -> dict[str, int]:
    """Anonymise transcripts older than RETENTION_DAYS (aggregate figures are kept); safe to repeat."""
    days = svc.context.retention_days
    with unit_of_work(svc.session_factory) as session:
        counts = apply_retention(session, now or svc.context.clock(), days)
    changed = {kind: n for kind, n in counts.items() if n}
    if changed:
        log.info("retention (%s days): anonymised %s", days, changed)
    return counts


JOBS = ((anonymise_expired_records, 3600),)  # hourly: a no-op once the backlog is done
