"""Worker jobs with a frozen clock: reminders exactly once, hold expiry, waitlist offers and their expiry."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.booking import jobs, service
from bot.booking.errors import HoldExpired, SlotFull
from bot.booking.models import Booking, WaitlistEntry
from bot.booking.waitlist import join_waitlist, leave_waitlist
from bot.line.messages import visible_text
from bot.platform.db import unit_of_work
from bot.platform.models import OutboxItem, Setting
from tests.booking.factories import NOW, SETTINGS, at, make_services, make_slot, make_user


def confirmed(factory, when="2026-12-01 14:00", name="a", capacity=1):
    """A confirmed booking made at NOW; returns (booking id, user id, slot id)."""
    with unit_of_work(factory) as s:
        user, slot = make_user(s, name), make_slot(s, when, capacity=capacity)
        hold = service.hold_slot(s, user.id, slot.id, NOW, SETTINGS)
        service.confirm_booking(s, hold.id, user.id, NOW, SETTINGS)
        return hold.id, user.id, slot.id


def pushed_text(svc) -> list[str]:
    return [visible_text(m) for _to, messages, _key in svc.gateway.pushes for m in messages]


def test_the_day_before_reminder_is_sent_once_at_its_time(factory):
    confirmed(factory)
    svc = make_services(factory)
    assert jobs.send_booking_reminders(svc, at("2026-11-30 09:59")) == 0
    assert jobs.send_booking_reminders(svc, at("2026-11-30 10:00")) == 1
    assert jobs.send_booking_reminders(svc, at("2026-11-30 10:01")) == 0
    assert jobs.send_booking_reminders(svc, at("2026-12-01 13:00")) == 0
    assert len(svc.gateway.pushes) == 1
    text = pushed_text(svc)[0]
    assert "明日のご予約" in text and "2026年12月1日(火) 14:00〜15:00" in text and "045-671-4732" in text


def test_a_restarted_worker_does_not_send_a_reminder_again(factory):
    confirmed(factory)
    first = make_services(factory)
    jobs.send_booking_reminders(first, at("2026-11-30 10:00"))
    restarted = make_services(factory)  # a new process: nothing in memory, only the database
    assert jobs.send_booking_reminders(restarted, at("2026-11-30 10:05")) == 0
    assert len(first.gateway.pushes) + len(restarted.gateway.pushes) == 1
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem)) == 1


def test_two_workers_running_at_once_send_one_reminder(factory):
    for i in range(5):
        confirmed(factory, f"2026-12-01 {10 + i}:00", name=f"u{i}")
    workers = [make_services(factory) for _ in range(4)]
    barrier = threading.Barrier(len(workers))

    def run(svc):
        barrier.wait()
        jobs.send_booking_reminders(svc, at("2026-11-30 10:00"))

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(w.gateway.pushes) for w in workers) == 5


def test_the_two_hour_reminder_is_optional_and_also_once(factory):
    confirmed(factory)
    svc = make_services(factory)
    jobs.send_booking_reminders(svc, at("2026-11-30 10:00"))
    assert jobs.send_booking_reminders(svc, at("2026-12-01 12:00")) == 0  # off by default
    with unit_of_work(factory) as s:
        s.add(Setting(key="booking.reminder_2h", value=True))
    assert jobs.send_booking_reminders(svc, at("2026-12-01 11:59")) == 0
    assert jobs.send_booking_reminders(svc, at("2026-12-01 12:00")) == 1
    assert jobs.send_booking_reminders(svc, at("2026-12-01 12:30")) == 0
    assert "まもなく" in pushed_text(svc)[-1]


def test_a_worker_that_was_down_sends_one_message_not_two(factory):
    confirmed(factory)
    with unit_of_work(factory) as s:
        s.add(Setting(key="booking.reminder_2h", value=True))
    svc = make_services(factory)
    assert jobs.send_booking_reminders(svc, at("2026-12-01 12:30")) == 1
    assert jobs.send_booking_reminders(svc, at("2026-12-01 13:00")) == 0
    assert len(svc.gateway.pushes) == 1


def test_no_reminder_for_a_past_slot_or_a_cancelled_booking(factory):
    booking_id, user_id, _ = confirmed(factory)
    confirmed(factory, "2026-12-02 14:00", name="b")
    with unit_of_work(factory) as s:
        service.cancel_booking(s, booking_id, user_id, NOW, SETTINGS)
    svc = make_services(factory)
    assert jobs.send_booking_reminders(svc, at("2026-12-03 10:00")) == 0


def test_a_booking_made_after_the_reminder_time_gets_no_separate_reminder(factory):
    with unit_of_work(factory) as s:
        user, slot = make_user(s, "late"), make_slot(s, "2026-12-01 14:00")
        late = at("2026-11-27 16:00")  # before the day-before time (Mon 30th 10:00): a reminder will follow
        hold = service.hold_slot(s, user.id, slot.id, late, SETTINGS)
        service.confirm_booking(s, hold.id, user.id, late, SETTINGS)
        assert hold.reminded_day_before_at is None
    with unit_of_work(factory) as s:
        user, slot = make_user(s, "later"), make_slot(s, "2026-11-25 14:00")
        now = at("2026-11-24 12:00")
        hold = service.hold_slot(s, user.id, slot.id, now, SETTINGS)
        service.confirm_booking(s, hold.id, user.id, now, SETTINGS)
        assert hold.reminded_day_before_at == now  # the confirmation already said everything


def test_expired_holds_are_released_by_the_job(factory):
    with unit_of_work(factory) as s:
        user, slot = make_user(s, "a"), make_slot(s, "2026-12-01 10:00")
        hold_id = service.hold_slot(s, user.id, slot.id, NOW, SETTINGS).id
    svc = make_services(factory)
    assert jobs.expire_booking_holds(svc, NOW + timedelta(minutes=9)) == 0
    assert jobs.expire_booking_holds(svc, NOW + timedelta(minutes=10)) == 1
    with factory() as s:
        hold = s.get(Booking, hold_id)
        assert hold.status == "expired" and hold.seat_no is None


def full_slot_with_queue(factory):
    """A one-seat slot booked by 'a', with 'b' then 'c' waiting."""
    booking_id, a, slot_id = confirmed(factory)
    with unit_of_work(factory) as s:
        b, c = make_user(s, "b"), make_user(s, "c")
        join_waitlist(s, b.id, slot_id, NOW, SETTINGS)
        join_waitlist(s, c.id, slot_id, NOW + timedelta(seconds=1), SETTINGS)
        assert join_waitlist(s, b.id, slot_id, NOW, SETTINGS).status == "waiting"  # joining twice: one entry
        return booking_id, a, b.id, c.id, slot_id


def test_a_cancellation_offers_the_seat_to_the_first_person_waiting(factory):
    booking_id, a, b, c, slot_id = full_slot_with_queue(factory)
    with unit_of_work(factory) as s:
        service.cancel_booking(s, booking_id, a, NOW + timedelta(hours=1), SETTINGS)
    with factory() as s:
        offers = s.scalars(select(WaitlistEntry).where(WaitlistEntry.status == "offered")).all()
        assert [e.user_id for e in offers] == [b]
        with pytest.raises(SlotFull):
            service.hold_slot(s, make_user(s, "d").id, slot_id, NOW + timedelta(hours=1), SETTINGS)
        s.rollback()
    svc = make_services(factory)
    assert jobs.offer_waitlist_seats(svc, NOW + timedelta(hours=1)) == 1
    assert jobs.offer_waitlist_seats(svc, NOW + timedelta(hours=1, minutes=1)) == 0
    assert "空きが出ました" in pushed_text(svc)[0]
    with unit_of_work(factory) as s:
        offer = s.scalar(select(WaitlistEntry).where(WaitlistEntry.user_id == b))
        service.confirm_booking(s, offer.booking_id, b, NOW + timedelta(hours=1, minutes=30), SETTINGS)
        assert offer.status == "accepted"


def test_an_offer_that_runs_out_goes_to_the_next_person(factory):
    booking_id, a, b, c, slot_id = full_slot_with_queue(factory)
    with unit_of_work(factory) as s:
        service.cancel_booking(s, booking_id, a, NOW + timedelta(hours=1), SETTINGS)
    svc = make_services(factory)
    jobs.offer_waitlist_seats(svc, NOW + timedelta(hours=1))
    expiry = NOW + timedelta(hours=2)  # offers last 60 minutes by default
    assert jobs.expire_booking_holds(svc, expiry) == 1
    assert jobs.offer_waitlist_seats(svc, expiry) == 1
    with factory() as s:
        states = {e.user_id: e.status for e in s.scalars(select(WaitlistEntry))}
        assert states == {b: "expired", c: "offered"}
        offer_b = s.scalar(select(WaitlistEntry).where(WaitlistEntry.user_id == b))
    with unit_of_work(factory) as s, pytest.raises(HoldExpired):
        service.confirm_booking(s, offer_b.booking_id, b, expiry, SETTINGS)
    assert len(svc.gateway.pushes) == 2


def test_leaving_the_waitlist_releases_an_offer(factory):
    booking_id, a, b, c, slot_id = full_slot_with_queue(factory)
    with unit_of_work(factory) as s:
        service.cancel_booking(s, booking_id, a, NOW + timedelta(hours=1), SETTINGS)
    with unit_of_work(factory) as s:
        entry = s.scalar(select(WaitlistEntry).where(WaitlistEntry.user_id == b))
        leave_waitlist(s, entry.id, b, NOW + timedelta(hours=1))
    svc = make_services(factory)
    jobs.offer_waitlist_seats(svc, NOW + timedelta(hours=1, minutes=1))
    with factory() as s:
        assert s.scalar(select(WaitlistEntry.status).where(WaitlistEntry.user_id == c)) == "offered"


def test_the_slot_generation_job_is_idempotent(factory):
    svc = make_services(factory)
    with unit_of_work(factory) as s:
        from bot.booking.defaults import ensure_types

        ensure_types(s)
    assert jobs.generate_booking_slots(svc, NOW) > 0
    assert jobs.generate_booking_slots(svc, NOW) == 0


def test_a_change_of_date_offers_the_old_seat_to_the_waitlist(factory):
    booking_id, a, b, c, slot_id = full_slot_with_queue(factory)
    with unit_of_work(factory) as s:
        new_slot = make_slot(s, "2026-12-02 14:00")
        hold = service.hold_slot(s, a, new_slot.id, NOW, SETTINGS, reschedule_of=booking_id)
        service.confirm_booking(s, hold.id, a, NOW, SETTINGS)
    with factory() as s:
        assert s.scalar(select(WaitlistEntry.status).where(WaitlistEntry.user_id == b)) == "offered"
