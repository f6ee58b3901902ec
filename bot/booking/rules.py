"""Pure calendar rules: recurrences, public holidays, centre closures, business days and booking windows.

Business days are Monday to Friday except Japanese public holidays (jpholiday) and centre closures;
deadlines such as 「前営業日の17時まで」 count them. Closures are "MM-DD" (every year) or "YYYY-MM-DD".
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class Recurrence:
    """When a rule produces slots: weekdays (0 = Monday), optionally only the nth of the month (-1 = last)."""

    weekdays: tuple[int, ...]
    nth: int | None = None
    times: tuple[str, ...] = ()
    start_time: str | None = None
    end_time: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    skip_holidays: bool = True


def hhmm(value: str) -> time:
    """Parse "HH:MM"."""
    return time.fromisoformat(value.strip())


def is_closed(day: date, closures: Iterable[str]) -> bool:
    """Whether the centre is closed on `day` (closures are "MM-DD" or "YYYY-MM-DD")."""
    marks = set(closures)
    return day.strftime("%m-%d") in marks or day.isoformat() in marks


def is_holiday(day: date) -> bool:
    """Whether `day` is a Japanese public holiday (including substitute holidays)."""
    return jpholiday.is_holiday(day)


def is_business_day(day: date, closures: Iterable[str] = ()) -> bool:
    """Monday to Friday, not a public holiday and not a closure day."""
    return day.weekday() < 5 and not is_holiday(day) and not is_closed(day, closures)


def business_days_before(day: date, n: int, closures: Iterable[str] = ()) -> date:
    """The nth business day strictly before `day` (n >= 1)."""
    marks = tuple(closures)
    found, cursor = 0, day
    while found < n:
        cursor -= timedelta(days=1)
        if is_business_day(cursor, marks):
            found += 1
    return cursor


def deadline(starts_at: datetime, business_days: int, at: str, closures: Iterable[str] = ()) -> datetime:
    """`at` o'clock on the nth business day before the start (n = 0: the start itself), in local time."""
    local = starts_at.astimezone(TOKYO)
    if business_days <= 0:
        return local
    day = business_days_before(local.date(), business_days, closures)
    return datetime.combine(day, hhmm(at), tzinfo=TOKYO)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (1..5, or -1 for last) `weekday` of a month, or None when the month has no such day."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 1 <= nth <= len(days) else None


def rule_dates(rule: Recurrence, start: date, end: date, closures: Iterable[str] = ()) -> Iterator[date]:
    """Dates in [start, end] that the rule produces, without holidays (if asked) and closures."""
    marks = tuple(closures)
    first = max(start, rule.valid_from) if rule.valid_from else start
    last = min(end, rule.valid_until) if rule.valid_until else end
    day = first
    while day <= last:
        if _matches(rule, day) and not is_closed(day, marks) and not (rule.skip_holidays and is_holiday(day)):
            yield day
        day += timedelta(days=1)


def _matches(rule: Recurrence, day: date) -> bool:
    if day.weekday() not in rule.weekdays:
        return False
    if rule.nth is None:
        return True
    return nth_weekday(day.year, day.month, day.weekday(), rule.nth) == day


def rule_times(rule: Recurrence, duration: int, buffer: int) -> list[time]:
    """Start times of one day: the explicit list, or the range stepped by duration + buffer."""
    if rule.times:
        return sorted(hhmm(t) for t in rule.times)
    if not (rule.start_time and rule.end_time):
        return []
    out, cursor = [], datetime.combine(date.min, hhmm(rule.start_time))
    end = datetime.combine(date.min, hhmm(rule.end_time))
    while cursor + timedelta(minutes=duration) <= end:
        out.append(cursor.time())
        cursor += timedelta(minutes=duration + buffer)
    return out


def occurrences(
    rule: Recurrence, duration: int, buffer: int, start: date, end: date, closures: Iterable[str] = ()
) -> list[tuple[datetime, datetime]]:
    """(start, end) local datetimes the rule produces between two dates (inclusive)."""
    times = rule_times(rule, duration, buffer)
    out = []
    for day in rule_dates(rule, start, end, closures):
        for t in times:
            begins = datetime.combine(day, t, tzinfo=TOKYO)
            out.append((begins, begins + timedelta(minutes=duration)))
    return out


@dataclass(frozen=True)
class Window:
    """How far ahead and until when a type can be booked."""

    days: int = 60
    cutoff_business_days: int = 1
    cutoff_time: str = "17:00"

    def last_day(self, now: datetime) -> date:
        """The last date that can be booked today."""
        return now.astimezone(TOKYO).date() + timedelta(days=self.days)

    def closes_at(self, starts_at: datetime, closures: Iterable[str] = ()) -> datetime:
        """When booking a slot closes (e.g. the previous business day at 17:00)."""
        return deadline(starts_at, self.cutoff_business_days, self.cutoff_time, closures)

    def is_open(self, starts_at: datetime, now: datetime, closures: Iterable[str] = ()) -> bool:
        """Whether a slot starting at `starts_at` can be booked at `now` (never in the past)."""
        if starts_at <= now:
            return False
        if starts_at.astimezone(TOKYO).date() > self.last_day(now):
            return False
        return now <= self.closes_at(starts_at, closures)
