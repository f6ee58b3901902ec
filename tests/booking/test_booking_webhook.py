"""The booking flow through the real webhook (signature, SDK parsing, dispatcher, outbox), by tapping buttons."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.booking.defaults import seed_demo
from bot.booking.models import Booking
from bot.platform.db import unit_of_work
from tests.support.driver import WebhookUser, actions, visible


@pytest.fixture
def with_slots(app):
    """The app with demo slots from today."""
    svc = app.extensions["madoguchi"]
    with unit_of_work(svc.session_factory) as session:
        seed_demo(session, svc.context.today())
    return app


def statuses(app) -> list[str]:
    with app.extensions["madoguchi"].session_factory() as session:
        return list(session.scalars(select(Booking.status).order_by(Booking.id)))


def test_a_resident_books_and_cancels_through_the_webhook(with_slots, post_events):
    user = WebhookUser(with_slots, post_events)
    user.follows()
    user.taps("相談を予約")
    assert "ご希望の日を選んでください" in visible(user.last)
    user.taps(user.labels()[0])
    assert "空いている時間" in visible(user.last)
    user.taps(user.labels()[0])
    user.says("NPO法人みなとです。会計の相談をしたいです")
    assert "ご予約内容の確認" in visible(user.last) and "NPO法人みなと" in visible(user.last)
    user.taps("この内容で予約する")
    assert "ご予約が確定しました" in visible(user.last)
    assert statuses(with_slots) == ["confirmed"]
    user.taps("予約の確認・変更・キャンセル")
    user.taps("キャンセルする")
    user.taps("はい、キャンセルする")
    assert "キャンセルしました" in visible(user.last)
    assert statuses(with_slots) == ["cancelled"]


def test_a_double_tap_through_the_webhook_books_once(with_slots, post_events):
    user = WebhookUser(with_slots, post_events)
    user.follows()
    user.taps("相談を予約")
    user.taps(user.labels()[0])
    user.taps(user.labels()[0])
    user.taps("スキップ")
    confirm = next(a for a in actions(user.last) if a.get("label") == "この内容で予約する")
    user.tap(confirm)
    user.tap(confirm)
    assert "すでに確定しています" in visible(user.last)
    assert statuses(with_slots) == ["confirmed"]
