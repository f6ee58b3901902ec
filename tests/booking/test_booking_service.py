"""Booking domain with a frozen clock: holds, confirmation, limits, overlaps, deadlines, slots from rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.booking import service
from bot.booking.defaults import DEMO_WEEKS, seed_demo
from bot.booking.errors import (
    AlreadyBooked,
    AlreadyDone,
    BookingClosed,
    BookingError,
    CancelDeadlinePassed,
    HoldExpired,
    Overlap,
    SlotFull,
    TooManyBookings,
)
from bot.booking.models import Booking, ConsultationType, Slot
from bot.booking.rules import TOKYO
from bot.booking.settings import BookingSettings, booking_settings
from bot.booking.slots import bookable_slots, generate_slots, set_slot_status, taken_seats
from bot.platform.db import unit_of_work
from bot.platform.models import Setting
from tests.booking.factories import NOW, SETTINGS, at, get_type, make_slot, make_user


def book(session, user, slot, now=NOW, settings=SETTINGS) -> Booking:
    """Hold and confirm in one go."""
    hold = service.hold_slot(session, user.id, slot.id, now, settings)
    return service.confirm_booking(session, hold.id, user.id, now, settings)


def test_a_hold_then_confirm_makes_one_confirmed_booking(factory):
    with unit_of_work(factory) as s:
        user, slot = make_user(s, "a"), make_slot(s, "2026-12-01 10:00")
        hold = service.hold_slot(s, user.id, slot.id, NOW, SETTINGS)
        assert hold.status == "held" and hold.seat_no == 1
        assert hold.hold_expires_at == NOW + timedelta(minutes=10)
        booking = service.confirm_booking(s, hold.id, user.id, NOW + timedelta(minutes=9), SETTINGS)
        assert booking.status == "confirmed" and booking.hold_expires_at is None
        assert taken_seats(s, [slot.id], NOW)[slot.id] == 1


def test_the_last_seat_goes_to_one_person_and_the_next_gets_slot_full(factory):
    with unit_of_work(factory) as s:
        slot = make_slot(s, "2026-12-01 10:00", capacity=2)
        book(s, make_user(s, "a"), slot)
        book(s, make_user(s, "b"), slot)
        with pytest.raises(SlotFull) as caught:
            service.hold_slot(s, make_user(s, "c").id, slot.id, NOW, SETTINGS)
        assert caught.value.type_code == "general" and caught.value.slot_id == slot.id
        assert "満席" in caught.value.text


def test_a_hold_expires_after_ten_minutes_and_frees_the_seat(factory):
    with unit_of_work(factory) as s:
        slot = make_slot(s, "2026-12-01 10:00")
        a, b = make_user(s, "a"), make_user(s, "b")
        hold = service.hold_slot(s, a.id, slot.id, NOW, SETTINGS)
        with pytest.raises(SlotFull):
            service.hold_slot(s, b.id, slot.id, NOW + timedelta(minutes=9, seconds=59), SETTINGS)
        later = NOW + timedelta(minutes=10)
        assert bookable_slots(s, slot.type, later, SETTINGS)[0].slot.id == slot.id
        taken = service.hold_slot(s, b.id, slot.id, later, SETTINGS)
        assert taken.seat_no == 1
        with pytest.raises(HoldExpired):
            service.confirm_booking(s, hold.id, a.id, later, SETTINGS)
        assert s.get(Booking, hold.id).status == "expired"


def test_confirming_twice_makes_no_second_booking(factory):
    with unit_of_work(factory) as s:
        user, slot = make_user(s, "a"), make_slot(s, "2026-12-01 10:00", capacity=3)
        booking = book(s, user, slot)
        with pytest.raises(AlreadyDone):
            service.confirm_booking(s, booking.id, user.id, NOW, SETTINGS)
        with pytest.raises(AlreadyBooked):
            service.hold_slot(s, user.id, slot.id, NOW, SETTINGS)
        assert s.scalar(select(func.count()).select_from(Booking)) == 1


def test_holding_the_same_slot_twice_keeps_one_hold(factory):
    with unit_of_work(factory) as s:
        user, slot = make_user(s, "a"), make_slot(s, "2026-12-01 10:00", capacity=3)
        first = service.hold_slot(s, user.id, slot.id, NOW, SETTINGS)
        again = service.hold_slot(s, user.id, slot.id, NOW + timedelta(minutes=1), SETTINGS)
        assert again.id == first.id and again.hold_expires_at == NOW + timedelta(minutes=11)


def test_a_new_hold_lets_the_residents_previous_hold_go(factory):
    with unit_of_work(factory) as s:
        user = make_user(s, "a")
        one, two = make_slot(s, "2026-12-01 10:00"), make_slot(s, "2026-12-02 10:00")
        first = service.hold_slot(s, user.id, one.id, NOW, SETTINGS)
        service.hold_slot(s, user.id, two.id, NOW, SETTINGS)
        s.refresh(first)
        assert first.status == "expired" and first.seat_no is None


def test_one_person_cannot_hold_overlapping_bookings(factory):
    with unit_of_work(factory) as s:
        user = make_user(s, "a")
        book(s, user, make_slot(s, "2026-12-01 10:00"))
        with pytest.raises(Overlap):
            service.hold_slot(s, user.id, make_slot(s, "2026-12-01 10:30", code="shigyo").id, NOW, SETTINGS)
        service.hold_slot(s, user.id, make_slot(s, "2026-12-01 11:00", code="shigyo").id, NOW, SETTINGS)


def test_the_per_user_limit_of_open_bookings_defaults_to_two(factory):
    with unit_of_work(factory) as s:
        user = make_user(s, "a")
        book(s, user, make_slot(s, "2026-12-01 10:00"))
        book(s, user, make_slot(s, "2026-12-02 10:00"))
        with pytest.raises(TooManyBookings) as caught:
            service.hold_slot(s, user.id, make_slot(s, "2026-12-03 10:00").id, NOW, SETTINGS)
        assert "2件まで" in caught.value.text


def test_the_limit_is_read_from_the_settings_table(factory):
    with unit_of_work(factory) as s:
        s.add(Setting(key="booking.max_open_per_user", value=1))
        s.add(Setting(key="booking.reminder_2h", value=True))
        s.flush()
        settings = booking_settings(s, ("2026-12-08",))
        assert settings.max_open_per_user == 1 and settings.reminder_2h is True
        assert "2026-12-08" in settings.closures and "12-31" in settings.closures
        user = make_user(s, "a")
        book(s, user, make_slot(s, "2026-12-01 10:00"), settings=settings)
        with pytest.raises(TooManyBookings):
            service.hold_slot(s, user.id, make_slot(s, "2026-12-02 10:00").id, NOW, settings)


def test_a_bad_setting_value_falls_back_to_the_default(factory):
    with unit_of_work(factory) as s:
        s.add(Setting(key="booking.hold_minutes", value="ten"))
        s.flush()
        assert booking_settings(s).hold_minutes == 10


def test_booking_closes_the_previous_business_day_at_17(factory):
    with unit_of_work(factory) as s:
        slot = make_slot(s, "2026-11-30 10:00")  # Monday: closes Friday 27th 17:00
        user = make_user(s, "a")
        with pytest.raises(BookingClosed):
            service.hold_slot(s, user.id, slot.id, at("2026-11-27 17:01"), SETTINGS)
        assert service.hold_slot(s, user.id, slot.id, at("2026-11-27 16:59"), SETTINGS).status == "held"


def test_cancelling_is_possible_until_the_deadline_and_frees_the_seat(factory):
    with unit_of_work(factory) as s:
        slot = make_slot(s, "2026-11-30 10:00")
        a, b = make_user(s, "a"), make_user(s, "b")
        booking = book(s, a, slot)
        with pytest.raises(CancelDeadlinePassed):
            service.cancel_booking(s, booking.id, a.id, at("2026-11-27 17:01"), SETTINGS)
        service.cancel_booking(s, booking.id, a.id, at("2026-11-27 16:00"), SETTINGS)
        assert booking.status == "cancelled" and booking.seat_no is None
        with pytest.raises(AlreadyDone):
            service.cancel_booking(s, booking.id, a.id, at("2026-11-27 16:00"), SETTINGS)
        assert book(s, b, slot, now=at("2026-11-27 16:30")).seat_no == 1


def test_staff_may_cancel_after_the_deadline(factory):
    with unit_of_work(factory) as s:
        user, slot = make_user(s, "a"), make_slot(s, "2026-11-30 10:00")
        booking = book(s, user, slot)
        service.cancel_booking(s, booking.id, user.id, at("2026-11-29 12:00"), SETTINGS, by="staff")
        assert booking.cancelled_by == "staff"


def test_rescheduling_cancels_the_old_booking_only_when_the_new_one_is_confirmed(factory):
    with unit_of_work(factory) as s:
        user = make_user(s, "a")
        old = book(s, user, make_slot(s, "2026-12-01 10:00"))
        book(s, user, make_slot(s, "2026-12-02 10:00"))  # at the limit of 2: a change must still be possible
        new_slot = make_slot(s, "2026-12-03 10:00")
        hold = service.hold_slot(s, user.id, new_slot.id, NOW, SETTINGS, reschedule_of=old.id)
        assert old.status == "confirmed"
        service.confirm_booking(s, hold.id, user.id, NOW, SETTINGS)
        s.refresh(old)
        assert old.status == "cancelled" and old.seat_no is None and hold.status == "confirmed"


def test_staff_mark_attended_and_no_show(factory):
    with unit_of_work(factory) as s:
        booking = book(s, make_user(s, "a"), make_slot(s, "2026-12-01 10:00"))
        assert service.set_attendance(s, booking.id, "attended").status == "attended"
        assert service.set_attendance(s, booking.id, "no_show").status == "no_show"
        assert booking.seat_no == 1  # still occupies its seat
        hold = service.hold_slot(s, make_user(s, "b").id, make_slot(s, "2026-12-02 10:00").id, NOW, SETTINGS)
        with pytest.raises(BookingError):
            service.set_attendance(s, hold.id, "attended")


def test_slots_are_generated_from_rules_once_and_removed_ones_stay_removed(factory):
    with unit_of_work(factory) as s:
        created = seed_demo(s, NOW.date())
        assert created > 100
        assert seed_demo(s, NOW.date()) == 0
        assert s.scalar(select(func.count()).select_from(ConsultationType)) == 4
        first = s.scalars(select(Slot).order_by(Slot.starts_at)).first()
        set_slot_status(s, first.id, "removed", NOW)
        assert generate_slots(s, NOW.date(), SETTINGS, days=DEMO_WEEKS * 7) == 0
        assert s.get(Slot, first.id).status == "removed"


def test_demo_slots_cover_the_next_eight_weeks_without_holidays_or_closures(factory):
    with unit_of_work(factory) as s:
        seed_demo(s, NOW.date())
        days = {x.starts_at.astimezone(TOKYO).date() for x in s.scalars(select(Slot))}
        assert min(days) >= NOW.date() and max(days) <= NOW.date() + timedelta(weeks=8)
        assert max(days) >= NOW.date() + timedelta(weeks=7)
        for d in days:
            assert d.strftime("%m-%d") not in ("12-29", "12-30", "12-31", "01-01", "01-02", "01-03")
        assert all(d.weekday() < 5 for d in days)
        themed = get_type(s, "partnering")
        themed_days = {
            x.starts_at.astimezone(TOKYO).date() for x in s.scalars(select(Slot).where(Slot.type_id == themed.id))
        }
        assert {d.isoformat() for d in themed_days} == {"2026-11-26", "2026-12-24"}


def test_no_past_or_closed_slot_is_ever_offered(factory):
    with unit_of_work(factory) as s:
        seed_demo(s, NOW.date())
        general = get_type(s, "general")
        settings = BookingSettings()
        for hours in range(0, 24 * 21, 7):
            now = NOW + timedelta(hours=hours, minutes=13)
            for a in bookable_slots(s, general, now, settings):
                assert a.slot.starts_at > now and a.slot.status == "open" and a.free > 0
                assert now <= service.deadline(a.slot.starts_at, 1, "17:00", settings.closures)


def test_closed_slots_are_not_offered_and_a_booked_slot_cannot_be_removed(factory):
    with unit_of_work(factory) as s:
        slot = make_slot(s, "2026-12-01 10:00", capacity=2)
        other = make_slot(s, "2026-12-01 13:00")
        book(s, make_user(s, "a"), slot)
        set_slot_status(s, other.id, "closed", NOW)
        ids = [a.slot.id for a in bookable_slots(s, slot.type, NOW, SETTINGS)]
        assert slot.id in ids and other.id not in ids
        with pytest.raises(BookingError):
            set_slot_status(s, slot.id, "removed", NOW)
        with pytest.raises(BookingClosed):
            service.hold_slot(s, make_user(s, "b").id, other.id, NOW, SETTINGS)
