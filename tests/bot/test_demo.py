"""`make demo` data: slots for the next 8 weeks, admin and coordinator logins, a waiting resident (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.booking.models import Slot
from bot.handoff.models import Handoff
from bot.tools.demo import seed_demo_data
from tests.support.admin import post_form


def test_demo_data_is_seeded_once_with_working_logins_and_future_slots(app, tmp_path):
    svc = app.extensions["madoguchi"]
    first = seed_demo_data(svc, tmp_path)
    again = seed_demo_data(svc, tmp_path)
    assert first == again
    assert [email for email, _ in first] == ["admin@example.org", "coordinator@example.org"]
    now = svc.context.clock()
    with svc.session_factory() as session:
        starts = session.scalars(select(Slot.starts_at)).all()
        today = svc.context.today()
        assert starts and min(s.astimezone(svc.context.tz).date() for s in starts) >= today
        assert max(starts) > now + timedelta(weeks=6)
        assert max(starts) <= now + timedelta(weeks=9)
        assert session.scalar(select(func.count()).select_from(Handoff)) == 1
    client = app.test_client()
    email, password = first[1]
    assert post_form(client, "/admin/login", {"email": email, "password": password}).status_code == 302
    assert "デモ 花子" in client.get("/admin/console/").get_data(as_text=True)
