"""A throwaway local PostgreSQL cluster (initdb + pg_ctl in a temp dir) for tests and benchmarks.

Use `pg_url` in a test for a fresh, migrated database (`postgresql+psycopg://…`); the cluster is started once
per session and deleted afterwards. Without the binaries (PG_BIN, default /usr/lib/postgresql/15/bin) or
psycopg, the tests that use it are skipped with the reason. As root, the server runs as the `postgres` user.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def missing_reason() -> str | None:
    """Why a local cluster cannot be started here, or None."""
    for tool in ("initdb", "pg_ctl"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL binaries not found ({PG_BIN / tool}); set PG_BIN or install postgresql-15"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser (PostgreSQL refuses to run as root)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run the server"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running throwaway cluster listening on 127.0.0.1:port, trust authentication."""

    def __init__(self, durable: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="madoguchi-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.durable = durable
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._housekeeper: _Housekeeper | None = None

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """initdb and start the server."""
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o", options, "start"
        )

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """Create a database, empty or copied from `template`; returns its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def copy_of(self, template: str) -> str:
        """URL of a fresh copy of `template`, usually one made in the background while the previous test ran.

        Copying takes a noticeable part of a short test (CREATE DATABASE … TEMPLATE); made ahead, it overlaps with
        the test before. The template must not change once copies are taken (the test template never does).
        """
        name = self._background().take(template)
        return self.url(name) if name else self.create_database(template=template)

    def drop_database_later(self, url: str) -> None:
        """Drop a test's database in the background, once its last connection has gone.

        A session creates a database per test; left in place they would pile up (each is ~450 files) and deleting
        the cluster at the end would take minutes. PostgreSQL waits up to 5 s for other sessions to leave (a server
        process just killed by a test may still be exiting), so the drop is not waited for; one that still fails (a
        leaked connection) leaves the database for `stop` to delete with the cluster.
        """
        self._background().drop(url.rsplit("/", 1)[1])

    def _background(self) -> _Housekeeper:
        if self._housekeeper is None:
            self._housekeeper = _Housekeeper(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres")
        return self._housekeeper

    def stop(self) -> None:
        """Stop the server and delete its files (after the queued drops, which make the deletion quick)."""
        if self._housekeeper is not None:
            self._housekeeper.finish()
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class _Housekeeper:
    """One background thread for a cluster: makes the next copy of a template ahead, and drops used databases.

    Copies go first (a test may be waiting for one); a drop that has to wait for a connection to go never holds
    up a copy for long, and a test never waits for the thread: with no copy ready it makes its own.
    """

    COPY, DROP = 0, 1

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.jobs: queue.PriorityQueue[tuple[int, int, str | None]] = queue.PriorityQueue()
        self.ready: dict[str, list[str]] = {}
        self.ahead: dict[str, int] = {}  # copies ready or on their way, per template
        self.lock = threading.Lock()
        self.order = 0
        self.thread = threading.Thread(target=self._run, name="test-database-housekeeper", daemon=True)
        self.thread.start()

    def _put(self, kind: int, argument: str | None) -> None:
        with self.lock:
            self.order += 1
            self.jobs.put((kind, self.order, argument))

    def take(self, template: str) -> str | None:
        """A ready copy of `template` (or None), and the next one ordered."""
        with self.lock:
            ready = self.ready.setdefault(template, [])
            name = ready.pop() if ready else None
            if name is not None:
                self.ahead[template] -= 1
            order_next = self.ahead.get(template, 0) < 1
            if order_next:
                self.ahead[template] = self.ahead.get(template, 0) + 1
        if order_next:
            self._put(self.COPY, template)
        return name

    def drop(self, name: str) -> None:
        self._put(self.DROP, name)

    def finish(self) -> None:
        """Do the queued work, then stop the thread."""
        self._put(self.DROP + 1, None)
        self.thread.join(timeout=60)

    def _run(self) -> None:
        import psycopg

        connection = None
        while True:
            kind, _, argument = self.jobs.get()
            if argument is None:
                break
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
                if kind == self.COPY:
                    name = f"t_{uuid.uuid4().hex[:12]}"
                    connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{argument}"')
                    with self.lock:
                        self.ready[argument].append(name)
                else:
                    connection.execute(f'DROP DATABASE IF EXISTS "{argument}"')
            except Exception:  # noqa: BLE001 (a copy not made is made by the test; a drop not done, by `stop`)
                if kind == self.COPY:
                    with self.lock:
                        self.ahead[argument] -= 1
        if connection is not None:
            connection.close()


@contextmanager
def postgres_cluster(durable: bool = False) -> Iterator[Cluster]:
    """Start a cluster for the duration of the block (raises RuntimeError when it cannot run here)."""
    reason = missing_reason()
    if reason:
        raise RuntimeError(reason)
    cluster = Cluster(durable)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def migrated_database(cluster: Cluster) -> str:
    """A fresh database in the cluster, migrated to heads; returns its URL."""
    from bot.platform.migrate import upgrade

    url = cluster.create_database()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def pg_cluster():
    """One local PostgreSQL cluster for the test session (skipped with the reason when unavailable)."""
    reason = missing_reason()
    if reason and os.environ.get("MADOGUCHI_TEST_DATABASE") == "postgresql":
        pytest.fail(f"the PostgreSQL pass cannot run: {reason}")
    if reason:
        pytest.skip(f"PostgreSQL variant skipped: {reason}")
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster):
    """A fresh PostgreSQL database for this test, migrated to heads (dropped after the test)."""
    url = migrated_database(pg_cluster)
    yield url
    pg_cluster.drop_database_later(url)
