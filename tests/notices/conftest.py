"""The bot with its own LINE emulator on a free port, residents who chat with it, and notice helpers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from bot.app import create_app
from bot.line.emulator import store_for
from bot.line.emulator.store import EmulatorStore
from bot.notices.models import Notice, NoticeSubscription
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import LineUser
from bot.platform.services import Services
from tests.conftest import free_port
from tests.notices.clock import mid_month  # noqa: F401 (a fixture)
from tests.support.line_faults import EmulatorHttp, Resident
from tests.support.live_server import emulator_config

TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass
class Live:
    """A running bot whose LINE is its own emulator."""

    base: str
    app: Flask
    svc: Services
    emulator: EmulatorHttp
    line: EmulatorStore

    def resident(self) -> Resident:
        return Resident(self.emulator)

    def subscription(self, resident: Resident) -> NoticeSubscription | None:
        with self.svc.session_factory() as s:
            uid = s.scalar(select(LineUser.id).where(LineUser.line_user_id == resident.user))
            return s.scalar(select(NoticeSubscription).where(NoticeSubscription.user_id == uid))

    def notice(self, notice_id: int) -> Notice:
        with self.svc.session_factory() as s:
            return s.get(Notice, notice_id)

    def add_notice(self, topics: list[str], wards: list[str] | None = None, in_minutes: float = 0, **extra) -> int:
        """A scheduled notice (as the admin saves it), due `in_minutes` from now."""
        with unit_of_work(self.svc.session_factory) as s:
            notice = Notice(
                title=extra.pop("title", "NPO設立講座のご案内"),
                body=extra.pop("body", "NPO法人の設立手続きを学ぶ講座を開きます。日時・会場はリンク先をご覧ください。"),
                topics=topics,
                wards=wards or [],
                status="scheduled",
                scheduled_at=utcnow() + timedelta(minutes=in_minutes),
                **extra,
            )
            s.add(notice)
            s.flush()
            return notice.id


def opt_in(resident: Resident, *topics: str, ward: str | None = None) -> None:
    """Opt in as a resident does: the menu, topic chips, 決定, a ward (or none)."""
    resident.says("メニュー")
    resident.taps("お知らせを受け取る")
    for topic in topics:
        resident.taps(topic)
    resident.taps("決定")
    if ward is None:
        resident.taps("区は選ばない")
        return
    labels = [a.get("label") for a in _actions(resident)]
    if ward not in labels:
        resident.taps("ほかの区")
    resident.taps(ward)


def _actions(resident: Resident) -> list[dict]:
    from tests.support.driver import actions

    return actions(resident.last)


@pytest.fixture
def live(db_url):
    """The app with the emulator enabled, served on a free port; sending inline."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app({**emulator_config(base, db_url), "SEND_ASYNC": False, "EMULATOR_WEBHOOK_TIMEOUT": 180})
    svc = app.extensions["madoguchi"]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # quick shutdown
    thread.start()
    try:
        yield Live(base, app, svc, EmulatorHttp(base), store_for(app))
    finally:
        server.shutdown()
        svc.sender.shutdown()
        svc.engine.dispose()
