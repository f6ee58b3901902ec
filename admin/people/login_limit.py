"""A per-address limit on sign-in attempts (in this process): a flood of guesses is refused before any hashing."""

from __future__ import annotations

import threading
import time
from collections import deque

from flask import Flask, current_app

DEFAULT_ATTEMPTS = 20  # per address and window; a centre's staff behind one NAT sign in far less often
DEFAULT_WINDOW_SECONDS = 300
MAX_ADDRESSES = 10_000  # memory bound: the oldest addresses are forgotten first


class LoginLimit:
    """At most `attempts` sign-in attempts per client address in any `window` seconds."""

    def __init__(self, attempts: int, window: float, clock=time.monotonic):
        self.attempts, self.window, self.clock = attempts, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str | None) -> bool:
        """Count an attempt from this address; False (and not counted) when it is over the limit."""
        now, key = self.clock(), address or "?"
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            allowed = len(times) < self.attempts
            if allowed:
                times.append(now)
            self._seen[key] = times  # re-inserted last: dict order is least recently seen first
            while len(self._seen) > MAX_ADDRESSES:
                self._seen.pop(next(iter(self._seen)))
            return allowed


def login_limit(app: Flask | None = None) -> LoginLimit:
    """The app's limit (ADMIN_LOGIN_ATTEMPTS per ADMIN_LOGIN_WINDOW_SECONDS), made on first use."""
    app = app or current_app
    limit = app.extensions.get("admin_login_limit")
    if limit is None:
        attempts = int(app.config.get("ADMIN_LOGIN_ATTEMPTS", DEFAULT_ATTEMPTS))
        window = float(app.config.get("ADMIN_LOGIN_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS))
        limit = app.extensions.setdefault("admin_login_limit", LoginLimit(attempts, window))
    return limit
