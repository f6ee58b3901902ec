"""Settings: the push budget (default 200) and other stored settings as JSON, audited."""

from __future__ import annotations

from sqlalchemy import select

from admin.models import AuditLog
from admin.operations.settings import get_setting
from bot.platform.models import Setting
from tests.support.admin import post_form


def test_the_push_budget_defaults_to_the_free_plan(factory):
    with factory() as s:
        assert get_setting(s, "push_monthly_budget") == 200
        assert get_setting(s, "unknown.key") is None


def test_an_admin_changes_the_push_budget_and_it_is_audited(admin_client, factory):
    page = admin_client.get("/admin/settings/").get_data(as_text=True)
    assert 'name="push_monthly_budget" value="200"' in page
    assert post_form(admin_client, "/admin/settings/", {"push_monthly_budget": "500"}).status_code == 302
    with factory() as s:
        assert get_setting(s, "push_monthly_budget") == 500
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "settings.save")).one()
        assert entry.detail == {"push_monthly_budget": {"from": 200, "to": 500}}


def test_bad_values_are_refused(admin_client, factory):
    response = post_form(admin_client, "/admin/settings/", {"push_monthly_budget": "-3"}, follow_redirects=True)
    assert "整数で入力してください" in response.get_data(as_text=True)
    with factory() as s:
        assert s.get(Setting, "push_monthly_budget") is None


def test_other_stored_settings_are_edited_as_json(admin_client, factory):
    with factory() as s:
        s.add(Setting(key="handoff.silence_hours", value=72))
        s.commit()
    form = {"push_monthly_budget": "200", "other_key": "handoff.silence_hours", "other:handoff.silence_hours": "48"}
    post_form(admin_client, "/admin/settings/", form)
    with factory() as s:
        assert s.get(Setting, "handoff.silence_hours").value == 48
    form["other:handoff.silence_hours"] = "{not json"
    response = post_form(admin_client, "/admin/settings/", form, follow_redirects=True)
    assert "JSONとして読めません" in response.get_data(as_text=True)
