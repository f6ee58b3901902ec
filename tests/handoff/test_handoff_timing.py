"""What residents are told about when a person answers, from the centre profile and a frozen `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

import jpholiday

from bot.handoff.timing import escalation_due, next_steps, open_seconds_between, when_text
from bot.platform.centre import load_profile
from tests.handoff.factories import HOLIDAY_EVENING, SATURDAY_EVENING, TUESDAY_MORNING, at

PROFILE = load_profile()
# A centre that is closed on Sundays and public holidays, to see a date further away.
WEEKDAYS_AND_SATURDAY = replace(PROFILE, hours={**PROFILE.hours, "sun": None, "holiday": None})


def test_during_opening_hours_the_resident_is_asked_to_wait_with_the_expected_wait_and_may_call():
    """「電話で話したい、番号は？」 gets the number in opening hours too, not only when the centre is closed."""
    text = next_steps(PROFILE, TUESDAY_MORNING, wait_minutes=15)
    assert text == (
        "担当者におつなぎします。しばらくお待ちください（目安：15分ほど）。\n"
        "お電話でもご相談いただけます：045-671-4732（受付時間：平日 9:00-20:00／土日祝 9:00-17:00）"
    )


def test_on_a_saturday_evening_the_next_opening_is_tomorrow_morning_with_the_phone():
    text = next_steps(PROFILE, SATURDAY_EVENING, wait_minutes=15)
    assert "受付時間外" in text and "明日 9:00 以降に担当者からご連絡します" in text
    assert "045-671-4732" in text and "平日 9:00-20:00／土日祝 9:00-17:00" in text


def test_on_a_public_holiday_evening_the_holiday_hours_apply():
    assert jpholiday.is_holiday(HOLIDAY_EVENING.date())  # 2026-11-23 勤労感謝の日, a Monday
    assert not PROFILE.is_open(HOLIDAY_EVENING)  # weekdays run to 20:00, but holidays close at 17:00
    assert "明日 9:00 以降" in next_steps(PROFILE, HOLIDAY_EVENING, wait_minutes=15)


def test_a_centre_closed_on_sundays_and_holidays_names_the_date_and_weekday():
    text = next_steps(WEEKDAYS_AND_SATURDAY, SATURDAY_EVENING, wait_minutes=15)
    assert "11月24日（火）9:00 以降に担当者からご連絡します" in text


def test_before_opening_the_same_morning_is_today():
    assert "本日 9:00 以降" in next_steps(PROFILE, at("2026-11-24 07:30"), wait_minutes=15)


def test_shortly_before_closing_the_resident_hears_about_tomorrow_too():
    text = next_steps(PROFILE, at("2026-11-24 19:50"), wait_minutes=15)
    assert "しばらくお待ちください" in text and "明日 9:00 以降" in text


def test_crisis_hand_offs_point_to_the_resources_outside_hours():
    assert "上の窓口にお電話ください" in next_steps(PROFILE, SATURDAY_EVENING, 15, urgent=True)
    assert "すぐにお知らせしました" in next_steps(PROFILE, TUESDAY_MORNING, 15, urgent=True)


def test_easy_japanese_and_english_variants():
    assert "あした 9:00から" in next_steps(PROFILE, SATURDAY_EVENING, 15, lang="easy")
    english = next_steps(PROFILE, SATURDAY_EVENING, 15, lang="en")
    assert "tomorrow at 9:00" in english and "045-671-4732" in english


def test_when_text_formats():
    now = at("2026-11-21 18:00")
    assert when_text(at("2026-11-21 19:00"), now) == "本日 19:00"
    assert when_text(at("2026-11-22 09:00"), now) == "明日 9:00"
    assert when_text(at("2026-11-24 09:30"), now) == "11月24日（火）9:30"


def test_open_time_skips_nights_and_closed_days():
    assert open_seconds_between(PROFILE, at("2026-11-20 19:55"), at("2026-11-21 09:10")) == 15 * 60
    assert open_seconds_between(WEEKDAYS_AND_SATURDAY, at("2026-11-21 16:50"), at("2026-11-24 09:05")) == 15 * 60
    assert open_seconds_between(PROFILE, at("2026-11-24 10:00"), at("2026-11-24 09:00")) == 0


def test_escalation_counts_opening_minutes_but_urgent_ones_any_minutes():
    friday_late = at("2026-11-20 19:55")
    assert not escalation_due(PROFILE, friday_late, at("2026-11-20 23:00"), False, 15, 5)
    assert not escalation_due(PROFILE, friday_late, at("2026-11-21 09:05"), False, 15, 5)
    assert escalation_due(PROFILE, friday_late, at("2026-11-21 09:10"), False, 15, 5)
    assert escalation_due(PROFILE, friday_late, at("2026-11-20 20:00"), True, 15, 5)
    assert PROFILE.hours["sat"] == (time(9), time(17))
