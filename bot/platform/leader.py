"""Scheduler leadership: exactly one `madoguchi worker` runs the jobs; others wait as standbys.

PostgreSQL: a session-level advisory lock held on a dedicated connection. SQLite (one machine): an exclusive
`flock` on a file beside the database. Both are released by the operating system or the server when the
leader's process dies, so a standby takes over without any lease to expire.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

LOCK_KEY = 0x6D61646F  # "mado": the advisory lock id shared by every worker of one database


class Leadership:
    """Acquire, keep and check the scheduler leadership for one database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._conn: Connection | None = None
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the leadership if nobody holds it; never blocks."""
        if self.engine.dialect.name == "postgresql":
            return self._try_advisory()
        return self._try_flock()

    def wait(self, stop: threading.Event, poll_seconds: float = 2.0) -> bool:
        """Wait as a standby until leadership is ours (True) or `stop` is set (False)."""
        announced = False
        while not stop.is_set():
            if self.try_acquire():
                log.info("scheduler leadership acquired (pid %s)", os.getpid())
                return True
            if not announced:
                log.info("another worker leads the scheduler; waiting as a standby (pid %s)", os.getpid())
                announced = True
            stop.wait(poll_seconds)
        return False

    def still_held(self) -> bool:
        """False when the lock's connection was lost (the server may have given the lock to a standby)."""
        if self._conn is None:
            return self._fd is not None
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 (any failure means the session and its lock are gone)
            log.exception("lost the connection that holds the scheduler lock")
            return False

    def release(self) -> None:
        """Give up the leadership (also happens on process death)."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                self._conn.close()
            except Exception:  # noqa: BLE001 (closing a broken connection releases the lock anyway)
                log.warning("could not unlock cleanly; the server drops the lock with the session")
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _try_advisory(self) -> bool:
        conn = self._conn or self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def _try_flock(self) -> bool:
        path = lock_file(self.engine)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True


def lock_file(engine: Engine) -> Path:
    """The lock file of a SQLite database (in-memory databases lock a per-process file in /tmp)."""
    database = engine.url.database
    if not database or database == ":memory:":
        return Path(f"/tmp/madoguchi-worker-{os.getpid()}.lock")  # noqa: S108 (private to this process)
    return Path(database).with_suffix(".worker.lock")
