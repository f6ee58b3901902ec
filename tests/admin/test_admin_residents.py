"""利用者の記録: admins (only) download a resident's data and erase it, with CSRF, confirmation and audit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from admin.models import AuditLog
from bot.platform.models import LineUser, Message
from tests.support.admin import csrf_token, post_form
from tests.support.driver import WebhookUser


@pytest.fixture
def resident(app, post_events):
    user = WebhookUser(app, post_events)
    user.follows()
    user.says("NPO法人をつくりたいです")
    return user


def internal_id(factory, line_id: str) -> int:
    with factory() as s:
        return s.scalar(select(LineUser.id).where(LineUser.line_user_id == line_id))


@pytest.mark.parametrize("role", ["staff", "coordinator"])
def test_only_admins_see_or_erase_residents_data(as_role, resident, factory, role):
    client = as_role(role)
    uid = internal_id(factory, resident.user_id)
    assert client.get("/admin/residents/").status_code == 403
    assert client.get(f"/admin/residents/{uid}/export.json").status_code == 403
    token = csrf_token(client, "/admin/")
    assert (
        client.post(f"/admin/residents/{uid}/forget", data={"csrf_token": token, "confirm": "yes"}).status_code == 403
    )
    assert internal_id(factory, resident.user_id) == uid


def test_an_admin_finds_a_resident_and_downloads_their_data(admin_client, resident, factory, app, post_events):
    other = WebhookUser(app, post_events)
    other.says("ボランティアをしたい")
    found = post_form(admin_client, "/admin/residents/", {"q": resident.user_id}).get_data(as_text=True)
    uid = internal_id(factory, resident.user_id)
    assert f"/admin/residents/{uid}" in found and other.user_id not in found
    response = admin_client.get(f"/admin/residents/{uid}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert "NPO法人をつくりたいです" in [m["text"] for m in data["messages"]]
    assert "ボランティアをしたい" not in response.get_data(as_text=True)
    with factory() as s:
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "resident.export"))
        assert entry.target == f"resident #{uid}" and entry.actor_email == admin_client.user.email


def test_erasure_needs_the_csrf_token_and_the_confirmation(admin_client, resident, factory):
    uid = internal_id(factory, resident.user_id)
    assert admin_client.post(f"/admin/residents/{uid}/forget", data={"confirm": "yes"}).status_code == 400
    page = f"/admin/residents/{uid}"
    assert "記録を削除する" in admin_client.get(page).get_data(as_text=True)
    post_form(admin_client, f"/admin/residents/{uid}/forget", {}, page=page)
    assert internal_id(factory, resident.user_id) == uid  # not ticked: nothing happened

    done = post_form(admin_client, f"/admin/residents/{uid}/forget", {"confirm": "yes"}, page=page)
    assert done.status_code == 302
    assert internal_id(factory, resident.user_id) is None
    with factory() as s:
        texts = list(s.scalars(select(Message.text).where(Message.text.contains("NPO法人をつくりたいです"))))
        assert texts == []
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "resident.forget"))
        assert entry.target == f"resident #{uid}" and entry.actor_email == admin_client.user.email
        assert resident.user_id not in json.dumps(entry.detail) and entry.detail["profile"] == 1
    assert admin_client.get(page).status_code == 404  # gone; erasing again is refused as not found
