"""Phone numbers, e-mail addresses and LINE user ids never reach a log in clear (web app, worker, CLI)."""

from __future__ import annotations

import io
import logging

import pytest
from click.testing import CliRunner

from bot.app import create_app
from bot.cli import main
from bot.privacy.logs import PersonalDataFilter, install_log_masking

LINE_ID = "U" + "0123456789abcdef" * 2
SECRETS = ("090-1234-5678", "taro@example.com", LINE_ID)


@pytest.fixture
def stream():
    """A handler on the root logger writing to a buffer (removed afterwards)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler, buffer
    root.removeHandler(handler)


def log_everything(logger: logging.Logger) -> None:
    logger.warning("push to %s failed (call %s or write %s)", LINE_ID, "090-1234-5678", "taro@example.com")
    try:
        raise RuntimeError(f"LINE said: bad 'to' {LINE_ID}")
    except RuntimeError:
        logger.exception("sending to %s", LINE_ID)


def test_the_filter_masks_message_arguments_and_tracebacks(stream):
    handler, buffer = stream
    handler.addFilter(PersonalDataFilter())
    log_everything(logging.getLogger("madoguchi.test"))
    text = buffer.getvalue()
    assert not any(secret in text for secret in SECRETS), text
    assert "［LINE ID］" in text and "［電話番号］" in text and "［メール］" in text and "RuntimeError" in text


def test_the_app_factory_installs_it_on_the_handlers_already_configured(stream, db_url):
    handler, buffer = stream
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SEND_ASYNC": False})
    try:
        assert any(isinstance(f, PersonalDataFilter) for f in handler.filters)
        log_everything(logging.getLogger("bot.line.delivery"))
        assert not any(secret in buffer.getvalue() for secret in SECRETS)
    finally:
        app.extensions["madoguchi"].sender.shutdown()
        app.extensions["madoguchi"].engine.dispose()


def test_installing_twice_adds_one_filter(stream):
    handler, _ = stream
    install_log_masking()
    assert install_log_masking() == 0
    assert sum(isinstance(f, PersonalDataFilter) for f in handler.filters) == 1


def test_every_cli_command_installs_it_too(stream):
    handler, _ = stream
    assert CliRunner().invoke(main, ["user", "--help"]).exit_code == 0
    assert any(isinstance(f, PersonalDataFilter) for f in handler.filters)
    assert any(isinstance(f, PersonalDataFilter) for f in logging.lastResort.filters)


def test_the_unanswered_inbox_masks_line_ids_phones_and_mails(app):
    from knowledge.models import UnansweredQuestion
    from tests.support.admin import login_as

    with app.extensions["madoguchi"].session_factory() as s:
        s.add(UnansweredQuestion(text=f"{LINE_ID} 090-1234-5678 taro@example.com 駐車場は", reason="abstained"))
        s.commit()
    client = app.test_client()
    login_as(client, "staff")
    page = client.get("/admin/unanswered/").get_data(as_text=True)
    assert "駐車場は" in page and not any(secret in page for secret in SECRETS)
