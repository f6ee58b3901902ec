"""Pure calendar rules with a frozen clock: holidays, closures, nth weekdays, business days, windows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.booking.rules import (
    Recurrence,
    Window,
    business_days_before,
    deadline,
    is_business_day,
    nth_weekday,
    occurrences,
    rule_dates,
    rule_times,
)
from bot.booking.settings import DEFAULT_CLOSURES
from tests.booking.factories import at

THURSDAY, MONDAY = 3, 0


def test_the_fourth_thursday_rule_gives_one_date_a_month():
    rule = Recurrence(weekdays=(THURSDAY,), nth=4, times=("10:00",))
    got = list(rule_dates(rule, date(2026, 11, 1), date(2027, 3, 31)))
    assert got == [date(2026, 11, 26), date(2026, 12, 24), date(2027, 1, 28), date(2027, 2, 25), date(2027, 3, 25)]


def test_the_seeds_themed_days_are_fourth_thursdays():
    for day in (date(2025, 8, 28), date(2025, 10, 23), date(2025, 11, 27), date(2026, 2, 26), date(2026, 3, 26)):
        assert nth_weekday(day.year, day.month, THURSDAY, 4) == day


def test_a_fifth_weekday_is_missing_in_short_months_and_last_means_last():
    assert nth_weekday(2026, 2, THURSDAY, 5) is None
    assert nth_weekday(2026, 12, THURSDAY, 5) == date(2026, 12, 31)
    assert nth_weekday(2026, 12, THURSDAY, -1) == date(2026, 12, 31)


def test_public_holidays_are_skipped():
    mondays = list(rule_dates(Recurrence(weekdays=(MONDAY,)), date(2026, 11, 1), date(2026, 11, 30)))
    assert date(2026, 11, 23) not in mondays  # 勤労感謝の日
    assert mondays == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 30)]
    keep = Recurrence(weekdays=(MONDAY,), skip_holidays=False)
    assert date(2026, 11, 23) in list(rule_dates(keep, date(2026, 11, 1), date(2026, 11, 30)))


def test_year_end_closures_are_skipped():
    weekdays = Recurrence(weekdays=(0, 1, 2, 3, 4))
    got = list(rule_dates(weekdays, date(2026, 12, 25), date(2027, 1, 6), DEFAULT_CLOSURES))
    assert got == [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6)]


def test_a_one_day_closure_applies_to_that_date_only():
    weekly = Recurrence(weekdays=(1,))
    got = list(rule_dates(weekly, date(2026, 12, 1), date(2026, 12, 31), ("2026-12-08",)))
    assert date(2026, 12, 8) not in got and date(2026, 12, 15) in got


def test_a_time_range_steps_by_duration_plus_buffer():
    rule = Recurrence(weekdays=(0,), start_time="10:00", end_time="16:00")
    assert [t.strftime("%H:%M") for t in rule_times(rule, 60, 30)] == ["10:00", "11:30", "13:00", "14:30"]
    slots = occurrences(rule, 60, 30, date(2026, 11, 30), date(2026, 11, 30))
    assert slots[0] == (at("2026-11-30 10:00"), at("2026-11-30 11:00"))


def test_rules_respect_their_validity_dates():
    rule = Recurrence(weekdays=(1,), valid_from=date(2026, 12, 8), valid_until=date(2026, 12, 15))
    assert list(rule_dates(rule, date(2026, 12, 1), date(2026, 12, 31))) == [date(2026, 12, 8), date(2026, 12, 15)]


def test_business_days_skip_weekends_holidays_and_closures():
    assert not is_business_day(date(2026, 11, 23))  # holiday
    assert not is_business_day(date(2026, 11, 28))  # Saturday
    assert business_days_before(date(2026, 11, 24), 1) == date(2026, 11, 20)  # Mon 23 is a holiday
    assert business_days_before(date(2026, 11, 24), 2) == date(2026, 11, 19)
    assert business_days_before(date(2027, 1, 4), 1, DEFAULT_CLOSURES) == date(2026, 12, 28)


def test_booking_closes_at_17_on_the_previous_business_day():
    window = Window(days=60)
    slot = at("2026-11-24 10:00")
    assert window.closes_at(slot) == at("2026-11-20 17:00")
    assert window.is_open(slot, at("2026-11-20 17:00"))
    assert not window.is_open(slot, at("2026-11-20 17:01"))
    assert not window.is_open(slot, at("2026-11-21 09:00"))


def test_booking_opens_only_window_days_ahead():
    window = Window(days=60)
    now = at("2026-11-24 09:00")
    assert window.is_open(at("2027-01-23 10:00"), now)  # 60 days ahead
    assert not window.is_open(at("2027-01-24 10:00"), now)


def test_a_past_slot_is_never_open_even_without_a_cutoff():
    window = Window(days=60, cutoff_business_days=0)
    now = at("2026-11-24 12:00")
    assert not window.is_open(now - timedelta(minutes=1), now)
    assert not window.is_open(now, now)
    assert window.is_open(now + timedelta(minutes=1), now)


def test_deadlines_in_business_days_use_local_time_from_utc_values():
    utc_start = at("2026-11-24 10:00").astimezone(datetime.now().astimezone().tzinfo)
    assert deadline(utc_start, 1, "17:00") == at("2026-11-20 17:00")
    assert deadline(utc_start, 0, "17:00") == at("2026-11-24 10:00")
