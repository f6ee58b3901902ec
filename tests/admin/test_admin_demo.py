"""`make demo`: a demo admin generated once (password kept in ./var), and demo activity for the dashboard."""

from __future__ import annotations

import stat

from admin.demo import DEMO_EMAIL, seed_demo_activity, seed_demo_admin
from tests.support.admin import post_form


def test_the_demo_admin_is_created_once_and_can_sign_in(app, factory, tmp_path, client):
    secret = tmp_path / "var" / "demo-admin-password.txt"
    with factory() as s:
        first = seed_demo_admin(s, secret)
        s.commit()
    with factory() as s:
        again = seed_demo_admin(s, secret)
        s.commit()
    assert first == again and first[0] == DEMO_EMAIL and len(first[1]) >= 12
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    response = post_form(client, "/admin/login", {"email": first[0], "password": first[1]})
    assert response.status_code == 302


def test_a_lost_password_file_gives_a_new_working_password(factory, tmp_path, client):
    secret = tmp_path / "pw.txt"
    with factory() as s:
        old = seed_demo_admin(s, secret)[1]
        secret.unlink()
        new = seed_demo_admin(s, secret)[1]
        s.commit()
    assert old != new
    assert post_form(client, "/admin/login", {"email": DEMO_EMAIL, "password": new}).status_code == 302


def test_demo_activity_fills_the_dashboard_once(factory, staff, app):
    today = app.extensions["madoguchi"].context.today()
    with factory() as s:
        assert seed_demo_activity(s, today) > 0
        assert seed_demo_activity(s, today) == 0
        s.commit()
    page = staff.get("/admin/insights/").get_data(as_text=True)
    assert "データなし" not in page.split("回答率")[1].split("</div>")[1]
