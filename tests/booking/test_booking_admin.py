"""Staff pages (calendar, list, slot changes, attendance, CSV, types) and the secret-URL iCal feed."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from sqlalchemy import select

from admin.operations.booking_views import bp as admin_bp
from bot.booking import service
from bot.booking.defaults import ensure_types
from bot.booking.ical_views import bp as ical_bp
from bot.booking.models import Booking, ConsultationType, Slot
from bot.booking.settings import booking_settings
from bot.booking.slots import bookable_slots
from bot.platform.centre import load_profile
from bot.platform.db import unit_of_work
from bot.platform.models import OutboxItem, Setting
from tests.booking.factories import NOW, SETTINGS, Clock, at, get_type, make_slot, make_user

BASE = "/t/booking"


@pytest.fixture
def staff(app):
    """A test client with the booking pages mounted (without the admin login, which is another issue's)."""
    app.config["WTF_CSRF_ENABLED"] = False
    app.register_blueprint(admin_bp, url_prefix=BASE, name="booking_admin_test")
    if "booking_ical" not in app.blueprints:
        app.register_blueprint(ical_bp)
    app.extensions["madoguchi"].context.clock = Clock()
    return app.test_client()


@pytest.fixture
def factory_of(app):
    return app.extensions["madoguchi"].session_factory


def booked(factory, when="2026-12-01 10:00", name="a", capacity=1, summary="会計の相談") -> int:
    with unit_of_work(factory) as s:
        user, slot = make_user(s, name), make_slot(s, when, capacity=capacity)
        user.display_name = f"利用者{name}"
        hold = service.hold_slot(s, user.id, slot.id, NOW, SETTINGS)
        hold.organisation, hold.summary = "NPO法人みなと", summary
        service.confirm_booking(s, hold.id, user.id, NOW, SETTINGS)
        return hold.id


def test_the_calendar_shows_slots_with_occupancy_from_bookings(staff, factory_of):
    booked(factory_of, capacity=2)
    page = staff.get(f"{BASE}/?start=2026-12-03").get_data(as_text=True)  # the week of Monday 30 November
    assert "2026-11-30 からの1週間" in page
    assert "12/01（火）" in page and "10:00〜11:00" in page and "1 / 2" in page and "予約受付中" in page


def _verdicts(page: str) -> dict[int, str]:
    return {int(i): v for v, i in re.findall(r'class="slot v-(\w+)" href="[^"]+" data-slot="(\d+)"', page)}


def test_the_calendar_offers_exactly_the_slots_the_residents_date_chips_offer(staff, factory_of, app):
    """One rule: after 17:00 on Tuesday, Wednesday's slot has closed (previous business day), so neither the
    chips nor the calendar offer it; a full slot, a slot staff closed and one on a closure day are not offered."""
    app.extensions["madoguchi"].context.clock = Clock(at("2026-11-24 18:00"))
    booked(factory_of, when="2026-11-27 10:00", capacity=1)  # full
    with unit_of_work(factory_of) as s:
        tomorrow = make_slot(s, "2026-11-25 10:00").id
        thursday = make_slot(s, "2026-11-26 14:00", capacity=2).id
        make_slot(s, "2026-11-27 13:00").status = "closed"
        s.add(Setting(key="booking.closures", value=["2026-11-28"]))
        make_slot(s, "2026-11-28 10:00")  # a Saturday slot on a closure day
    page = staff.get(f"{BASE}/?start=2026-11-24").get_data(as_text=True)
    assert "11/23（月）<br><small>勤労感謝の日</small>" in page and "11/28（土）" in page and "11/29（日）" not in page
    verdicts = _verdicts(page)
    assert verdicts[tomorrow] == "deadline" and verdicts[thursday] == "bookable"
    assert sorted(verdicts.values()) == ["bookable", "closed_day", "deadline", "full", "stopped"]
    with factory_of() as s:
        chips = bookable_slots(
            s, get_type(s), at("2026-11-24 18:00"), booking_settings(s, tuple(load_profile().closures))
        )
        assert [a.slot.id for a in chips] == [i for i, v in verdicts.items() if v == "bookable"] == [thursday]
    detail = staff.get(f"{BASE}/slots/{tomorrow}").get_data(as_text=True)
    assert "締切済み" in detail and "2026-11-24 17:00" in detail


def test_a_slot_opens_with_its_bookings_and_actions(staff, factory_of):
    booking_id = booked(factory_of, capacity=2, summary="会計の相談")
    with factory_of() as s:
        slot_id = s.get(Booking, booking_id).slot_id
    page = staff.get(f"{BASE}/slots/{slot_id}").get_data(as_text=True)
    assert "1 / 2（空き 1）" in page and "会計の相談" in page and "受付を締め切る" in page
    back = staff.post(f"{BASE}/slots/{slot_id}/status", data={"status": "closed", "back": "slot"})
    assert back.headers["Location"].endswith(f"/slots/{slot_id}")
    assert "受付停止" in staff.get(f"{BASE}/slots/{slot_id}").get_data(as_text=True)
    assert staff.get(f"{BASE}/slots/999999").status_code == 404


def test_staff_add_close_reopen_and_remove_a_slot(staff, factory_of):
    with unit_of_work(factory_of) as s:
        ensure_types(s)
    form = {"type": "shigyo", "date": "2026-12-09", "time": "18:30", "capacity": "3"}
    assert staff.post(f"{BASE}/slots", data=form).status_code == 302
    again = staff.post(f"{BASE}/slots", data=form, follow_redirects=True).get_data(as_text=True)
    assert "すでにあります" in again
    with factory_of() as s:
        slot = s.scalar(select(Slot))
        assert slot.capacity == 3 and slot.type.code == "shigyo"
    for status in ("closed", "open", "removed"):
        staff.post(f"{BASE}/slots/{slot.id}/status", data={"status": status})
        with factory_of() as s:
            assert s.get(Slot, slot.id).status == status


def test_a_booked_slot_cannot_be_removed(staff, factory_of):
    booking_id = booked(factory_of)
    with factory_of() as s:
        slot_id = s.get(Booking, booking_id).slot_id
    page = staff.post(f"{BASE}/slots/{slot_id}/status", data={"status": "removed"}, follow_redirects=True)
    assert "削除できません" in page.get_data(as_text=True)


def test_the_booking_list_filters_and_staff_mark_attendance(staff, factory_of):
    first = booked(factory_of, "2026-12-01 10:00", "a")
    booked(factory_of, "2026-12-03 10:00", "b", summary="労務の相談")
    page = staff.get(f"{BASE}/bookings?start=2026-12-02").get_data(as_text=True)
    assert "労務の相談" in page and "会計の相談" not in page
    assert "会計の相談" in staff.get(f"{BASE}/bookings?q=会計").get_data(as_text=True)
    staff.post(f"{BASE}/bookings/{first}/status", data={"status": "attended"})
    with factory_of() as s:
        assert s.get(Booking, first).status == "attended"
    assert "労務の相談" not in staff.get(f"{BASE}/bookings?status=attended").get_data(as_text=True)


def test_staff_cancelling_tells_the_resident(staff, factory_of):
    booking_id = booked(factory_of)
    staff.post(f"{BASE}/bookings/{booking_id}/status", data={"status": "cancelled"})
    with factory_of() as s:
        assert s.get(Booking, booking_id).status == "cancelled"
        [item] = s.scalars(select(OutboxItem)).all()
        assert "センターの都合" in item.messages[0]["text"]


def test_the_csv_export_has_a_header_and_one_row_per_booking(staff, factory_of):
    booked(factory_of)
    response = staff.get(f"{BASE}/bookings.csv")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and body.startswith("\ufeff予約番号,相談の種類")
    lines = body.strip().splitlines()
    assert len(lines) == 2 and "2026-12-01 10:00" in lines[1] and "利用者a" in lines[1] and "確定" in lines[1]


def test_types_can_be_edited_and_bad_input_is_refused(staff, factory_of):
    with unit_of_work(factory_of) as s:
        ensure_types(s)
    page = staff.get(f"{BASE}/types").get_data(as_text=True)
    assert "/calendar/general.ics?token=" in page
    form = {
        "name": "ボランタリー活動相談",
        "label": "ボランタリー活動相談",
        "description": "説明",
        "duration_minutes": "45",
        "buffer_minutes": "15",
        "capacity": "2",
        "place": "online",
        "place_detail": "Zoom",
        "window_days": "30",
        "cutoff_business_days": "2",
        "cutoff_time": "12:00",
        "cancel_business_days": "1",
        "ask_text": "質問",
        "bring_text": "",
        "active": "on",
    }
    staff.post(f"{BASE}/types/general", data=form)
    with factory_of() as s:
        general = s.scalar(select(ConsultationType).where(ConsultationType.code == "general"))
        assert (general.duration_minutes, general.place, general.window_days) == (45, "online", 30)
    bad = staff.post(f"{BASE}/types/general", data=dict(form, capacity="0"), follow_redirects=True)
    assert "定員" in bad.get_data(as_text=True)


def test_the_ical_feed_needs_the_types_secret_token(staff, factory_of):
    booked(factory_of)
    with factory_of() as s:
        token = s.scalar(select(ConsultationType.ical_token).where(ConsultationType.code == "general"))
    response = staff.get(f"/calendar/general.ics?token={token}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert "ボランタリー活動相談" in str(event["summary"]) and "会計の相談" in str(event["description"])
    assert event.decoded("dtstart").isoformat() == "2026-12-01T01:00:00+00:00"
    assert staff.get("/calendar/general.ics?token=wrong").status_code == 404
    assert staff.get("/calendar/general.ics").status_code == 404
    assert staff.get(f"/calendar/nosuch.ics?token={token}").status_code == 404
    staff.post(f"{BASE}/types/general/token")
    assert staff.get(f"/calendar/general.ics?token={token}").status_code == 404
