"""Hand-off fixtures: a session factory on a fresh database, a local SMTP server, PostgreSQL variants."""

from __future__ import annotations

import threading
from email import policy
from email.parser import BytesParser

import pytest

from bot.platform.db import make_engine, make_session_factory
from tests.conftest import free_port
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401  (fixtures for the PostgreSQL variants)


@pytest.fixture
def factory(db_url):
    """Session factory on this test's fresh SQLite database."""
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


class Mailbox:
    """What the local SMTP server received: (recipients, subject, body) with the MIME encoding undone."""

    def __init__(self):
        self.messages: list[tuple[list[str], str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        """Store one delivered message."""
        mail = BytesParser(policy=policy.default).parsebytes(envelope.content)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), str(mail["Subject"]), mail.get_content()))
        return "250 OK"


@pytest.fixture
def smtp():
    """An SMTP server on 127.0.0.1 (aiosmtpd) with a free port; yields (port, mailbox)."""
    controller_mod = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is needed for the e-mail tests")
    mailbox = Mailbox()
    port = free_port()
    controller = controller_mod.Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mailbox
    controller.stop()
