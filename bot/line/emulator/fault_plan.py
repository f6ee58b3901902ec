"""The emulator's fault plan: rules for failing the next Messaging API calls, and a log of what was injected.

Pure data (no Flask); bot/line/emulator/faults.py applies it to requests and exposes the control API.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

MODES = ("timeout", "drop")


@dataclass
class Fault:
    """One rule: the next `count` matching calls fail this way."""

    status: int | None = None
    mode: str | None = None
    count: int = 1
    delay_ms: int = 0
    retry_after: int | None = None
    deliver: bool = False
    paths: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """A short name for the log: the status, the mode or "delay"."""
        return str(self.status) if self.status else self.mode or "delay"

    def matches(self, path: str) -> bool:
        """Whether a call to this API path (e.g. /v2/bot/message/push) is affected."""
        return not self.paths or path in self.paths


class FaultPlan:
    """Thread-safe list of pending faults and a log of the faults injected."""

    def __init__(self):
        self._lock = threading.Lock()
        self.pending: list[Fault] = []
        self.injected: list[dict] = []

    def add(self, fault: Fault) -> None:
        """Queue a rule after the ones already pending."""
        with self._lock:
            self.pending.append(fault)

    def clear(self) -> None:
        """Forget every pending rule and the log."""
        with self._lock:
            self.pending, self.injected = [], []

    def take(self, path: str, endpoint: str) -> Fault | None:
        """The first pending rule matching this call, counted down by one (and logged)."""
        with self._lock:
            for fault in self.pending:
                if fault.count > 0 and fault.matches(path):
                    fault.count -= 1
                    self.pending = [f for f in self.pending if f.count > 0]
                    at = datetime.now(UTC).isoformat(timespec="milliseconds")
                    entry = {"endpoint": endpoint, "fault": fault.kind, "delivered": fault.deliver, "at": at}
                    self.injected.append(entry)
                    return fault
        return None

    def to_json(self) -> dict:
        """What GET /emulator/api/faults shows."""
        with self._lock:
            return {"pending": [asdict(f) for f in self.pending], "injected": list(self.injected)}


def parse(data: dict) -> Fault:
    """A Fault from the control API's JSON body; ValueError with a readable message when invalid."""
    status, mode = data.get("status"), data.get("mode")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ValueError("status must be an HTTP error status (400-599)")
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if status is not None and mode is not None:
        raise ValueError("give either status or mode, not both")
    count, delay = data.get("count", 1), data.get("delay_ms", 0)
    if not isinstance(count, int) or count < 1 or not isinstance(delay, int) or delay < 0:
        raise ValueError("count must be a positive integer and delay_ms a non-negative integer")
    if mode == "timeout" and delay == 0:
        raise ValueError("a timeout needs delay_ms longer than the client's timeout")
    paths = data.get("paths") or []
    if not isinstance(paths, list) or not all(isinstance(p, str) and p.startswith("/v2/") for p in paths):
        raise ValueError('paths must be a list of API paths such as "/v2/bot/message/push"')
    retry_after = data.get("retry_after", 1 if status == 429 else None)
    if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
        raise ValueError("retry_after must be a non-negative integer (seconds)")
    deliver = data.get("deliver", mode == "timeout" or (status is None and mode is None))
    if not isinstance(deliver, bool):
        raise ValueError("deliver must be true or false")
    return Fault(status, mode, count, delay, retry_after, deliver, paths)
