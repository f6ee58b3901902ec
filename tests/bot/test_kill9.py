"""kill -9 of the production server (`madoguchi serve`) while it confirms a booking or sends a coordinator's
reply: after a restart and the worker's sweep, the database and the resident's LINE agree, and every message
arrived exactly once.

The LINE emulator runs in this process and holds the reply call open (fault "timeout") so the kill lands
after the commit and during the send; the random-moment test kills anywhere, then lets LINE redeliver.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from bot import config as config_mod
from bot.app import build_services
from bot.booking.defaults import seed_demo
from bot.booking.models import Booking
from bot.handoff.models import Handoff
from bot.line.emulator import init_app
from bot.platform.db import unit_of_work
from bot.platform.jobs import resend_pending_outbox
from bot.platform.models import LineUser, OutboxItem
from bot.platform.services import Services
from tests.support.admin import PASSWORD, make_admin_user
from tests.support.app_process import HttpBrowser, ServerProcess
from tests.support.driver import actions
from tests.support.events import SECRET, TOKEN
from tests.support.line_faults import REPLY, EmulatorHttp, Resident, assert_exactly_once, wait_until
from tests.support.live_server import LiveServer

CONFIRMED = "ご予約が確定しました"
LEASE = 1.5


@dataclass
class World:
    server: ServerProcess
    emulator: EmulatorHttp
    worker: Services  # the sweeper's services, as `madoguchi worker` builds them

    def sweep_until_settled(self, timeout: float = 20) -> None:
        """Run the worker's outbox job (after the dead process's lease ran out) until nothing is pending."""
        time.sleep(LEASE + 0.2)

        def settled():
            resend_pending_outbox(self.worker)
            with self.worker.session_factory() as s:
                return s.scalar(select(func.count(OutboxItem.id)).where(OutboxItem.status == "pending")) == 0

        wait_until(settled, timeout, interval=0.3)

    def crash_and_restart(self) -> None:
        self.server.kill9()
        self.server.start()


@pytest.fixture
def world(db_url, tmp_path):
    server = ServerProcess({}, tmp_path / "server.log")

    def build(base: str) -> Flask:
        app = Flask("line")
        app.config.update(
            LINE_CHANNEL_SECRET=SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
            EMULATOR_WEBHOOK_URL=f"{server.url}/callback",
            EMULATOR_REPLY_WAIT=1.0,
        )
        init_app(app)
        return app

    with LiveServer.for_app_factory(build) as line:
        env = {
            "DATABASE_URL": db_url,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE": f"{line.url}/emulator/line",
            "LINE_DATA_API_BASE": f"{line.url}/emulator/line",
            "SECRET_KEY": secrets.token_hex(32),
            "EMULATOR_ENABLED": "0",
            "SEND_ASYNC": "1",
            "ADMIN_COOKIE_SECURE": "0",
            "LINE_API_TIMEOUT": "1",
            "OUTBOX_CLAIM_SECONDS": str(LEASE),
            "OUTBOX_BACKOFF_SECONDS": "0.2",
            "OUTBOX_SWEEP_GRACE_SECONDS": "0",
        }
        server.env = env
        worker = build_services(config_mod.from_env(env))
        with unit_of_work(worker.session_factory) as session:
            seed_demo(session, worker.context.today())
        server.start()
        try:
            yield World(server, EmulatorHttp(line.url), worker)
        finally:
            server.stop()
            worker.sender.shutdown()
            worker.engine.dispose()


def book_until_confirm(resident: Resident) -> None:
    resident.says("相談を予約したい")
    resident.taps(index=0)  # the first free date
    resident.taps(index=0)  # the first free time
    resident.taps("スキップ")
    assert "この内容で予約する" in [a.get("label") for a in actions(resident.last)]


def bookings(world: World, resident: Resident) -> list[str]:
    with world.worker.session_factory() as s:
        user_id = s.scalar(select(LineUser.id).where(LineUser.line_user_id == resident.user))
        return list(s.scalars(select(Booking.status).where(Booking.user_id == user_id)))


def in_background(target, *args) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run():
        try:
            result["value"] = target(*args)
        except Exception as exc:  # the server died under the request
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


@pytest.mark.parametrize("processed", [True, False], ids=["LINE had delivered it", "LINE had not"])
def test_kill9_while_the_booking_confirmation_is_being_sent(world, processed):
    resident = Resident(world.emulator)
    book_until_confirm(resident)
    world.emulator.fault(paths=[REPLY], mode="timeout", delay_ms=8000, deliver=processed)
    thread, _ = in_background(resident.taps, "この内容で予約する")
    wait_until(world.emulator.injected)  # the confirmation's reply call has reached LINE
    world.crash_and_restart()
    thread.join(timeout=30)
    assert bookings(world, resident) == ["confirmed"]  # committed with its outbox row before sending
    world.sweep_until_settled()
    assert bookings(world, resident) == ["confirmed"]
    assert_exactly_once(world.worker.session_factory, world.emulator, resident)
    assert sum(CONFIRMED in text for text in resident.inbox_texts()) == 1


@pytest.mark.parametrize("processed", [True, False], ids=["LINE had delivered it", "LINE had not"])
def test_kill9_while_a_coordinator_reply_is_being_sent(world, processed):
    with unit_of_work(world.worker.session_factory) as session:
        admin = make_admin_user(session, "admin")
    browser = HttpBrowser(world.server.url)
    assert browser.post("/admin/login", {"email": admin.email, "password": PASSWORD}, "/admin/login") == 200
    resident = Resident(world.emulator)
    resident.says("相談員と話したい")
    resident.says("NPO法人の解散で理事の意見が割れています")
    resident.says("よろしくお願いします")  # silent while waiting: its reply token is still unused
    with world.worker.session_factory() as s:
        handoff_id = s.scalar(select(Handoff.id).order_by(Handoff.id.desc()))
    page = f"/admin/console/c/{handoff_id}"
    assert browser.post(f"{page}/take", {}, page) == 200
    world.emulator.fault(paths=[REPLY], mode="timeout", delay_ms=8000, deliver=processed)
    assert browser.post(f"{page}/reply", {"text": "担当の佐藤です。"}, page) == 200
    wait_until(world.emulator.injected)
    world.crash_and_restart()
    world.sweep_until_settled()
    assert_exactly_once(world.worker.session_factory, world.emulator, resident)
    assert resident.inbox_texts().count("担当の佐藤です。") == 1


def test_kill9_at_random_moments_of_a_booking_confirmation(world):
    """Kill anywhere (before, during or after the commit); LINE redelivers the event to the restarted server."""
    for delay in (0.0, 0.1, 0.3):
        resident = Resident(world.emulator)
        book_until_confirm(resident)
        thread, result = in_background(resident.taps, "この内容で予約する")
        time.sleep(delay)
        world.crash_and_restart()
        thread.join(timeout=30)
        assert "value" in result, result
        event_id = result["value"]["webhookEventId"]
        status, _ = world.emulator.call("POST", f"/events/{event_id}/redeliver", timeout=60)
        assert status == 200
        world.sweep_until_settled()
        assert bookings(world, resident) == ["confirmed"], delay
        assert_exactly_once(world.worker.session_factory, world.emulator, resident)
        assert sum(CONFIRMED in text for text in resident.inbox_texts()) == 1, (delay, resident.inbox_texts())
