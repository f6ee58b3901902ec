"""The booking flow through the real webhook (signature, SDK parsing, dispatcher, outbox), by tapping buttons.

Until bot/dispatch.py routes to bot.booking.flow, the `wired` fixture plugs the flow in the way the integration
contract describes (bk.* and book postbacks, the 「相談を予約」 path, free text while flow == "booking").
"""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import select

import bot.dispatch as dispatch
from bot.booking import flow
from bot.booking.actions import POSTBACKS
from bot.booking.defaults import seed_demo
from bot.booking.models import Booking
from bot.db import unit_of_work
from tests.support.driver import WebhookUser, actions, visible

WIRED = "bot.booking" in inspect.getsource(dispatch)


@pytest.fixture
def wired(app, monkeypatch):
    """The app with demo slots from today, and the booking flow reachable from the dispatcher."""
    svc = app.extensions["madoguchi"]
    with unit_of_work(svc.session_factory) as session:
        seed_demo(session, svc.context.today())
    if WIRED:
        return app

    def postback(ctx, session, conversation, data):
        return flow.on_postback(ctx, session, conversation, data)

    for key in POSTBACKS:
        monkeypatch.setitem(dispatch.POSTBACKS, key, postback)
    original_path, original_text = dispatch.POSTBACKS["path"], dispatch.on_text

    def path(ctx, session, conversation, data):
        if data.get("p") == "booking":
            return flow.start(ctx, session, conversation, None)
        return original_path(ctx, session, conversation, data)

    def on_text(ctx, session, conversation, inbound):
        if conversation.flow == flow.FLOW:
            reply = flow.on_text(ctx, session, conversation, inbound.text or "")
            if reply is not None:
                return reply
        return original_text(ctx, session, conversation, inbound)

    monkeypatch.setitem(dispatch.POSTBACKS, "path", path)
    monkeypatch.setattr(dispatch, "ROUTES", [(a, on_text if h is original_text else h) for a, h in dispatch.ROUTES])
    return app


def statuses(app) -> list[str]:
    with app.extensions["madoguchi"].session_factory() as session:
        return list(session.scalars(select(Booking.status).order_by(Booking.id)))


def test_a_resident_books_and_cancels_through_the_webhook(wired, post_events):
    user = WebhookUser(wired, post_events)
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
    assert statuses(wired) == ["confirmed"]
    user.taps("予約の確認・変更")
    user.taps("キャンセルする")
    user.taps("はい、キャンセルする")
    assert "キャンセルしました" in visible(user.last)
    assert statuses(wired) == ["cancelled"]


def test_a_double_tap_through_the_webhook_books_once(wired, post_events):
    user = WebhookUser(wired, post_events)
    user.follows()
    user.taps("相談を予約")
    user.taps(user.labels()[0])
    user.taps(user.labels()[0])
    user.taps("スキップ")
    confirm = next(a for a in actions(user.last) if a.get("label") == "この内容で予約する")
    user.tap(confirm)
    user.tap(confirm)
    assert "すでに確定しています" in visible(user.last)
    assert statuses(wired) == ["confirmed"]
