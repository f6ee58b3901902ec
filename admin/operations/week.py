"""The slot calendar's week: days × hours, each slot with its seats and what residents see (the bot's own rule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import jpholiday

from bot.booking.rules import TOKYO, is_closed
from bot.booking.settings import BookingSettings
from bot.booking.slots import Availability, bookability, type_window

WEEKDAYS_JA = "月火水木金土日"
FIRST_HOUR, LAST_HOUR = 9, 17  # shown even when no slot starts earlier or ends later
# What residents see for a slot (bot.booking.slots.bookability), in the staff's words.
VERDICT_JA = {
    "bookable": "予約受付中",
    "full": "満席",
    "stopped": "受付停止",
    "type_inactive": "種類が受付停止中",
    "past": "終了",
    "closed_day": "休館日",
    "deadline": "締切済み",
    "not_yet": "受付開始前",
}
VERDICT_HELP = {
    "bookable": "LINEの日付ボタンに表示され、利用者が予約できます。",
    "full": "定員まで予約・仮押さえが入っています（キャンセル待ちは受け付けます）。",
    "stopped": "スタッフが受付を締め切りました。LINEには表示されません。",
    "type_inactive": "この相談の種類が受付停止中です。LINEには表示されません。",
    "past": "開始時刻を過ぎました。",
    "closed_day": "休館日のため、LINEには表示されません。",
    "deadline": "予約の締切（営業日で数えた前日など）を過ぎたため、LINEには表示されません。",
    "not_yet": "予約受付期間より先の日なので、まだLINEには表示されません。",
}


@dataclass(frozen=True)
class Card:
    """One slot in the grid: its seats and what residents see now."""

    availability: Availability
    verdict: str

    @property
    def slot(self):
        """The slot row."""
        return self.availability.slot

    @property
    def label(self) -> str:
        """The verdict in Japanese."""
        return VERDICT_JA[self.verdict]


@dataclass(frozen=True)
class Day:
    """A column: the date, its public holiday's name and whether the centre is closed."""

    day: date
    holiday: str | None
    closed: bool

    @property
    def heading(self) -> str:
        """「12/01（火）」."""
        return f"{self.day:%m/%d}（{WEEKDAYS_JA[self.day.weekday()]}）"


@dataclass
class Week:
    """Monday's date, the columns, the hour rows and the cards per (day, hour)."""

    monday: date
    days: list[Day]
    hours: list[int]
    cells: dict[tuple[date, int], list[Card]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def cards(self, day: date, hour: int) -> list[Card]:
        """The slots starting in this hour of this day."""
        return self.cells.get((day, hour), [])


def monday_of(day: date) -> date:
    """The Monday of the week containing `day`."""
    return day - timedelta(days=day.weekday())


def build_week(rows: list[Availability], monday: date, now: datetime, settings: BookingSettings, today: date) -> Week:
    """Lay one week's slots out by day and start hour; weekends appear only when they have slots (or are today)."""
    cards = [Card(a, bookability(a, now, settings)) for a in rows]
    by_day = {c.slot.starts_at.astimezone(TOKYO).date() for c in cards}
    dates = [monday + timedelta(days=i) for i in range(7)]
    shown = [d for d in dates if d.weekday() < 5 or d in by_day or d == today]
    days = [Day(d, jpholiday.is_holiday_name(d), is_closed(d, settings.closures)) for d in shown]
    first, last = FIRST_HOUR, LAST_HOUR
    for c in cards:
        first = min(first, c.slot.starts_at.astimezone(TOKYO).hour)
        ends = c.slot.ends_at.astimezone(TOKYO)
        last = max(last, ends.hour + (1 if ends.minute else 0))
    week = Week(monday, days, list(range(first, last)))
    for c in cards:
        local = c.slot.starts_at.astimezone(TOKYO)
        week.cells.setdefault((local.date(), local.hour), []).append(c)
        week.counts[c.verdict] = week.counts.get(c.verdict, 0) + 1
    return week


def closes_at(availability: Availability, settings: BookingSettings) -> datetime:
    """When LINE booking for this slot closes (local time)."""
    slot = availability.slot
    return type_window(slot.type, settings).closes_at(slot.starts_at, settings.closures).astimezone(TOKYO)
