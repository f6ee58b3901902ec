"""/admin/outbox/: admins see undeliverable messages with LINE's error and can send one again."""

from __future__ import annotations

from sqlalchemy import select

from admin.models import AuditLog
from bot.line.outbox import enqueue
from bot.line.sender import Sender
from bot.platform.db import unit_of_work
from bot.platform.models import LineUser, OutboxItem
from tests.handoff.factories import RecordingGateway
from tests.support.admin import csrf_token, post_form


def dead_item(app, error: str = "400: The request body has 1 error(s) Length must be between 1 and 5000") -> int:
    factory = app.extensions["madoguchi"].session_factory
    with unit_of_work(factory) as session:
        user = LineUser(line_user_id="U" + "d" * 32, display_name="山田")
        session.add(user)
        session.flush()
        [item] = enqueue(session, user.id, user.line_user_id, [{"type": "text", "text": "明日の予約のお知らせ"}])
        item.status, item.attempts, item.last_error = "dead", 1, error
        return item.id


def test_admins_see_dead_items_with_the_error(app, admin_client):
    dead_item(app)
    page = admin_client.get("/admin/outbox/").get_data(as_text=True)
    assert "明日の予約のお知らせ" in page and "Length must be between 1 and 5000" in page and "山田" in page
    assert 'href="/admin/outbox/"' in admin_client.get("/admin/").get_data(as_text=True)


def test_only_admins_may_open_it(app, as_role):
    dead_item(app)
    for role in ("staff", "coordinator"):
        client = as_role(role)
        assert client.get("/admin/outbox/").status_code == 403
        assert (
            client.post("/admin/outbox/1/retry", data={"csrf_token": csrf_token(client, "/admin/")}).status_code == 403
        )


def test_retry_sends_it_again_once_and_is_audited(app, admin_client):
    item_id = dead_item(app)
    svc = app.extensions["madoguchi"]
    gateway = RecordingGateway()
    svc.sender = Sender(svc.session_factory, gateway, asynchronous=False)  # type: ignore[arg-type]
    assert admin_client.post(f"/admin/outbox/{item_id}/retry", data={}).status_code == 400  # no CSRF token
    response = post_form(admin_client, f"/admin/outbox/{item_id}/retry", page="/admin/outbox/")
    assert response.status_code == 302
    with svc.session_factory() as session:
        item = session.get(OutboxItem, item_id)
        assert item.status == "sent" and item.via == "push" and item.attempts == 1
        assert session.scalar(select(AuditLog.action).where(AuditLog.action == "outbox.retry")) == "outbox.retry"
    assert [key for _, _, key in gateway.pushes] == [item.retry_key]
    again = post_form(admin_client, f"/admin/outbox/{item_id}/retry", page="/admin/outbox/", follow_redirects=True)
    assert "送信不能の状態ではありません" in again.get_data(as_text=True)
    assert len(gateway.pushes) == 1
