"""Hostile or mistaken admin input gets a clear 4xx or a form error, never a 500: ids no column can hold, dates
no calendar arithmetic survives, capacities past any integer column, actions on an erased resident's hand-off,
and a raw JSON setting that tried to skip the range check."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.booking.defaults import ensure_types
from bot.booking.models import ConsultationType, Slot
from bot.handoff.models import Handoff
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import Setting
from bot.privacy.forget import forget_resident
from tests.booking.factories import NOW, SETTINGS
from tests.handoff.factories import make_resident
from tests.support.admin import post_form

HUGE = "99999999999999999999"
BAD_URLS = [
    f"/admin/residents/{HUGE}",
    f"/admin/residents/{HUGE}/export.json",
    f"/admin/console/c/{HUGE}",
    f"/admin/console/api/c/{HUGE}",
    "/admin/console/c/0",
    "/admin/booking/?start=9999-12-31",
    "/admin/booking/?start=0001-01-01",
    "/admin/booking/bookings?start=0001-01-01&end=9999-12-31",
    "/admin/booking/bookings.csv?start=9999-12-31",
    f"/admin/booking/bookings?slot={HUGE}",
    "/admin/insights/?start=9999-12-31",
    "/admin/insights/?start=0001-01-01&end=0001-01-01",
    "/admin/insights/themes.csv?start=9999-12-31&end=9999-12-31",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_out_of_range_ids_and_dates_are_a_clear_4xx(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code in (400, 404), response.status_code
    if response.status_code == 400 and "start=" in url:
        assert "2000-01-01から2099-12-31" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [f"/admin/console/c/{HUGE}/close", f"/admin/residents/{HUGE}/forget"])
def test_actions_on_out_of_range_ids_are_a_404(admin_client, url):
    assert post_form(admin_client, url, {"outcome": "resolved"}, page="/admin/").status_code == 404


def test_a_slot_capacity_past_any_column_is_a_form_error(admin_client, factory):
    with unit_of_work(factory) as s:
        ensure_types(s)
        code = s.scalars(select(ConsultationType.code)).first()
    form = {"date": "2026-12-01", "time": "10:00", "type": code, "capacity": HUGE}
    response = post_form(admin_client, "/admin/booking/slots", form, page="/admin/booking/", follow_redirects=True)
    assert response.status_code == 200 and "定員は1〜1000" in response.get_data(as_text=True)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Slot)) == 0


def test_a_type_capacity_past_any_column_is_a_form_error(admin_client, factory):
    with unit_of_work(factory) as s:
        ensure_types(s)
        ctype = s.scalars(select(ConsultationType)).first()
        code, capacity = ctype.code, ctype.capacity
    form = {
        "name": "相談",
        "label": "相談",
        "place": "center",
        "duration_minutes": "60",
        "capacity": HUGE,
        "buffer_minutes": "0",
        "cutoff_business_days": "1",
        "cancel_business_days": "1",
        "cutoff_time": "17:00",
    }
    page = "/admin/booking/types"
    response = post_form(admin_client, f"/admin/booking/types/{code}", form, page=page, follow_redirects=True)
    assert response.status_code == 200 and "数値（0〜100000）" in response.get_data(as_text=True)
    with factory() as s:
        assert s.scalar(select(ConsultationType.capacity).where(ConsultationType.code == code)) == capacity


def test_acting_on_an_erased_residents_closed_hand_off_is_refused_clearly(admin_client, factory):
    with unit_of_work(factory) as s:
        conversation = make_resident(s, "erased")
        handoff = Handoff(user_id=conversation.user_id, status="closed", closed_at=utcnow(), outcome="resolved")
        s.add(handoff)
        s.flush()
        handoff_id, line_id = handoff.id, conversation.user.line_user_id
    with unit_of_work(factory) as s:
        forget_resident(s, line_id, NOW, SETTINGS)
    page = "/admin/"
    for action, form in (("close", {"outcome": "resolved"}), ("return", {}), ("notes", {"text": "メモ"})):
        response = post_form(admin_client, f"/admin/console/c/{handoff_id}/{action}", form, page=page)
        assert response.status_code in (302, 404, 409), (action, response.status_code)


@pytest.mark.parametrize("value", ['"lots"', "-5", "1e999", "true", "[1]", "99999999999999999999"])
def test_a_raw_json_setting_cannot_skip_the_range_check_and_insights_still_open(admin_client, factory, value):
    form = {"other_key": "push_monthly_budget", "other:push_monthly_budget": value}
    response = post_form(admin_client, "/admin/settings/", form, follow_redirects=True)
    assert "0〜1000000の整数" in response.get_data(as_text=True)
    with factory() as s:
        assert s.get(Setting, "push_monthly_budget") is None
    assert admin_client.get("/admin/insights/").status_code == 200


def test_a_bad_value_stored_earlier_reads_as_the_default(admin_client, factory):
    with unit_of_work(factory) as s:
        s.add(Setting(key="push_monthly_budget", value="lots"))
    assert admin_client.get("/admin/insights/").status_code == 200
