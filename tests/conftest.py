"""Shared fixtures: a fresh migrated database per test, the app, and a signed-webhook client."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import threading

import pytest
from hypothesis import settings

from bot.app import create_app
from bot.platform import db
from bot.tools.demo import prepare_database
from tests.support.events import SECRET, TOKEN, body, sign
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401  (PostgreSQL fixtures for every package)

TEST_DATABASE = os.environ.get("MADOGUCHI_TEST_DATABASE", "sqlite")

# CI runs the property tests with fixed seeds and no example database: the same examples every run, no flakes.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


class SharedIndexes:
    """Stands in for `KnowledgeIndex` where the app's index cache builds one: equal inputs are built once.

    Every test's app starts from a copy of the same database, so without this each test that asks the bot a question
    rebuilds the same index from the same published entries (~0.8 s: n-grams, BM25 and embeddings of every text).
    The index is immutable and a pure function of the entries, the glossary, the calibration, the labelled messages
    and the process's embedder; an equal build returns a shallow copy of the first (a new object, as a rebuild is,
    sharing the read-only arrays), so the cache's rebuild-on-edit behaviour and every test of it are unchanged.
    """

    def __init__(self, real):
        self.real = real
        self.built: dict[tuple, object] = {}
        self.lock = threading.Lock()

    def key(self, entries: list, glossary, calibration, examples) -> tuple:
        import knowledge.search as search

        calibration = calibration or search.load_calibration()
        return (
            repr(entries),
            repr(vars(glossary)) if glossary is not None else None,
            repr(calibration),
            tuple(examples),
            id(search.shared_embedder()),
        )

    def __call__(self, entries, glossary=None, *args, calibration=None, examples=(), **kwargs):
        if args or kwargs:  # not the cache's call: built as asked
            return self.real(entries, glossary, *args, calibration=calibration, examples=examples, **kwargs)
        entries = list(entries)
        key = self.key(entries, glossary, calibration, examples)
        with self.lock:
            index = self.built.get(key)
            if index is None:
                index = self.built[key] = self.real(entries, glossary, calibration=calibration, examples=examples)
        return copy.copy(index)


@pytest.fixture(scope="session", autouse=True)
def shared_knowledge_indexes():
    """Build each distinct knowledge index once per test session (see SharedIndexes)."""
    import knowledge.store

    patch = pytest.MonkeyPatch()
    patch.setattr(knowledge.store, "KnowledgeIndex", SharedIndexes(knowledge.store.KnowledgeIndex))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def real_clock_after_each_test():
    """A test that froze the app's clock leaves real time behind it."""
    yield
    db.set_clock(None)


def uses_the_database(item) -> bool:
    """Whether the test runs on the pass's database (every such test reaches it through `template_db`)."""
    return "template_db" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    """MADOGUCHI_ONLY_DATABASE_TESTS=1 (the PostgreSQL pass of `make test`): run only the tests that use the pass's
    database. The others do the same thing whatever MADOGUCHI_TEST_DATABASE says (no database, their own SQLite
    file or in-memory database, or a PostgreSQL database of their own in both passes), so the SQLite pass has
    already run them exactly as this pass would. They are deselected, not skipped, and counted in the summary."""
    if os.environ.get("MADOGUCHI_ONLY_DATABASE_TESTS") != "1":
        return
    if TEST_DATABASE != "postgresql":
        raise pytest.UsageError("MADOGUCHI_ONLY_DATABASE_TESTS=1 is for the PostgreSQL pass (after the SQLite one)")
    independent = [item for item in items if not uses_the_database(item)]
    if independent:
        config.hook.pytest_deselected(items=independent)
        items[:] = [item for item in items if uses_the_database(item)]


def pytest_terminal_summary(terminalreporter):
    deselected = len(terminalreporter.stats.get("deselected", []))
    if os.environ.get("MADOGUCHI_ONLY_DATABASE_TESTS") == "1" and deselected:
        terminalreporter.write_line(
            f"MADOGUCHI_ONLY_DATABASE_TESTS=1: {deselected} test(s) that do not use the pass's database were "
            "deselected (the SQLite pass runs them)"
        )


def pytest_sessionfinish(session, exitstatus):
    """With MADOGUCHI_FORBID_SKIPS=1 (`make test`), a skipped test fails the run: CI must not hide a missing tool."""
    if os.environ.get("MADOGUCHI_FORBID_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped, which `make test` forbids:", red=True)
        for report in skipped:
            reporter.write_line(f"  {report.nodeid}: {report.longrepr[-1] if report.longrepr else ''}")
        session.exitstatus = 1


@pytest.fixture(scope="session")
def template_db(tmp_path_factory, request):
    """One migrated database with the shipped knowledge base, copied for each test.

    With MADOGUCHI_TEST_DATABASE=postgresql (the second pass of `make test`) it is a template database in a
    throwaway local PostgreSQL cluster; otherwise a SQLite file.
    """
    if TEST_DATABASE == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database("template_madoguchi")
        prepare_database(url)
        return cluster
    path = tmp_path_factory.mktemp("template") / "template.db"
    prepare_database(f"sqlite:///{path}")
    return path


def copy_template(template_db, directory) -> str:
    """URL of a fresh copy of the template database (a SQLite file in `directory`, or a PostgreSQL database)."""
    if TEST_DATABASE == "postgresql":
        return template_db.copy_of("template_madoguchi")
    target = directory / "madoguchi.db"
    shutil.copy(template_db, target)
    return f"sqlite:///{target}"


def drop_copy(template_db, url: str) -> None:
    """Let a copy made by copy_template go (PostgreSQL: dropped in the background; a SQLite file stays in tmp)."""
    if TEST_DATABASE == "postgresql":
        template_db.drop_database_later(url)


@pytest.fixture
def db_url(template_db, tmp_path):
    """A fresh database for this test (a copy of the template)."""
    url = copy_template(template_db, tmp_path)
    yield url
    drop_copy(template_db, url)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def offline_config(db_url: str, **extra) -> dict:
    """Test app config whose LINE is a closed port (sending fails and stays in the outbox), sending inline."""
    return {
        "TESTING": True,
        "DATABASE_URL": db_url,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE": f"http://127.0.0.1:{free_port()}",
        "SEND_ASYNC": False,
        **extra,
    }


@pytest.fixture
def app(db_url):
    """The app with LINE pointed at a closed port (sending fails and stays in the outbox)."""
    app = create_app(offline_config(db_url))
    yield app
    svc = app.extensions["madoguchi"]
    svc.sender.shutdown()
    try:
        assert_every_queued_message_is_valid(svc.session_factory)
    finally:
        svc.engine.dispose()


def assert_every_queued_message_is_valid(session_factory) -> None:
    """Fail the test if the bot queued any message LINE would reject (spec schema + documented limits)."""
    from sqlalchemy import select

    from bot.line.emulator import limits, schema
    from bot.platform.models import OutboxItem

    with session_factory() as session:
        for item in session.scalars(select(OutboxItem)):
            request = {"messages": item.messages}
            problems = schema.errors("messaging-api.yml", "ValidateMessageRequest", request)
            problems += limits.check_messages(item.messages, ["messages"])
            assert not problems, f"the bot queued an invalid LINE message: {problems} in {item.messages}"


@pytest.fixture
def post_events(app):
    """POST signed events to /callback with the test client."""
    client = app.test_client()

    def post(*events, signature: str | None = None, raw: str | None = None):
        payload = raw if raw is not None else body(*events)
        headers = {
            "Content-Type": "application/json",
            "X-Line-Signature": sign(payload) if signature is None else signature,
        }
        return client.post("/callback", data=payload.encode(), headers=headers)

    return post
