"""Shared fixtures: a fresh migrated database per test, the app, and a signed-webhook client."""

from __future__ import annotations

import os
import shutil
import socket

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


@pytest.fixture(autouse=True)
def real_clock_after_each_test():
    """A test that froze the app's clock leaves real time behind it."""
    yield
    db.set_clock(None)


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
        return template_db.create_database(template="template_madoguchi")
    target = directory / "madoguchi.db"
    shutil.copy(template_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def db_url(template_db, tmp_path):
    """A fresh database for this test (a copy of the template)."""
    return copy_template(template_db, tmp_path)


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
