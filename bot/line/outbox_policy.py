"""How the outbox retries: attempts, exponential backoff, the claim lease and the sweeper's grace period."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Retry settings (config keys OUTBOX_*); tests use short ones so fault tests finish in seconds."""

    max_attempts: int = 8  # then the item is dead (visible at /admin/outbox/)
    backoff_seconds: float = 5.0  # first retry after about this long, doubling each time
    backoff_max_seconds: float = 600.0
    claim_seconds: float = 30.0  # lease of one send attempt (two API calls at the gateway timeout, plus margin)
    sweep_grace_seconds: float = 10.0  # never-tried items are left this long to the process that queued them
    max_inline_pause_seconds: float = 5.0  # wait out a shorter rate-limit pause; a longer one defers the batch
    inline_retry_seconds: float = 60.0  # the web process retries sooner failures itself; later ones: the sweeper

    @classmethod
    def from_config(cls, config: dict) -> RetryPolicy:
        """The policy with any OUTBOX_* values of a config mapping applied."""
        names = {
            "max_attempts": "OUTBOX_MAX_ATTEMPTS",
            "backoff_seconds": "OUTBOX_BACKOFF_SECONDS",
            "backoff_max_seconds": "OUTBOX_BACKOFF_MAX_SECONDS",
            "claim_seconds": "OUTBOX_CLAIM_SECONDS",
            "sweep_grace_seconds": "OUTBOX_SWEEP_GRACE_SECONDS",
            "max_inline_pause_seconds": "OUTBOX_MAX_INLINE_PAUSE_SECONDS",
            "inline_retry_seconds": "OUTBOX_INLINE_RETRY_SECONDS",
        }
        values = {}
        for field_name, key in names.items():
            raw = config.get(key)
            if raw is not None and raw != "":
                values[field_name] = int(raw) if field_name == "max_attempts" else float(raw)
        return cls(**values)

    @property
    def lease(self) -> timedelta:
        """How long a claim keeps other processes away from an item."""
        return timedelta(seconds=self.claim_seconds)

    def delay(self, attempts: int, retry_after: float | None = None) -> timedelta:
        """Wait before the next attempt after `attempts` failed ones: LINE's Retry-After when given (never less),
        else exponential backoff with ±20 % jitter so several processes do not retry in step."""
        backoff = min(self.backoff_seconds * 2 ** max(attempts - 1, 0), self.backoff_max_seconds)
        backoff *= random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        return timedelta(seconds=backoff)
