"""Pure timing rules: what the resident is told about when a person answers, and open time for escalation."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.handoff.texts import ht
from bot.platform.centre import CentreProfile

WEEKDAY_JA = "月火水木金土日"
MAX_DAYS = 31  # open-time sums look at most a month back


def when_text(moment: datetime, now: datetime, lang: str = "ja") -> str:
    """「本日 9:00」, 「明日 9:00」 or 「11月24日（火）9:00」 for a local time relative to local `now`."""
    clock = f"{moment.hour}:{moment.minute:02d}"
    days = (moment.date() - now.date()).days
    if days == 0:
        return ht("today", lang, time=clock)
    if days == 1:
        return ht("tomorrow", lang, time=clock)
    return ht(
        "date",
        lang,
        month=moment.month,
        day=moment.day,
        weekday=WEEKDAY_JA[moment.weekday()],
        date=moment.strftime("%a %d %b"),
        time=clock,
    )


def closing_time(profile: CentreProfile, now: datetime) -> datetime | None:
    """When today's opening hours end, if the centre is open at `now`."""
    if not profile.is_open(now):
        return None
    hours = profile.opening_hours(now.date())
    return datetime.combine(now.date(), hours[1], tzinfo=now.tzinfo) if hours else None


def next_steps(profile: CentreProfile, now: datetime, wait_minutes: int, urgent: bool = False, lang: str = "ja") -> str:
    """The honest "what happens next" text for a new hand-off, from the centre's hours and local `now`."""
    closes = closing_time(profile, now)
    if closes is not None:
        if urgent:
            return ht("crisis_open", lang)
        text = ht("open", lang, wait=wait_minutes)
        if now + timedelta(minutes=wait_minutes) > closes:
            text += "\n" + ht("closing_soon", lang, when=when_text(profile.next_opening(closes), now, lang))
        # 「電話で話したい」: the number too, whatever the hour (many residents would rather call)
        return text + "\n" + ht("phone_open", lang, phone=profile.phone, hours=profile.hours_text)
    when = when_text(profile.next_opening(now), now, lang)
    if urgent:
        return ht("crisis_closed", lang, when=when)
    return ht("closed", lang, hours=profile.hours_text, when=when) + "\n" + ht("phone", lang, phone=profile.phone)


def open_seconds_between(profile: CentreProfile, start: datetime, end: datetime) -> float:
    """Seconds between two local times during which the centre was open (for "not picked up in 15 minutes")."""
    if end <= start:
        return 0.0
    total = 0.0
    day = max(start.date(), (end - timedelta(days=MAX_DAYS)).date())
    while day <= end.date():
        hours = profile.opening_hours(day)
        if hours is not None:
            opens = datetime.combine(day, hours[0], tzinfo=end.tzinfo)
            closes = datetime.combine(day, hours[1], tzinfo=end.tzinfo)
            total += max(0.0, (min(closes, end) - max(opens, start)).total_seconds())
        day += timedelta(days=1)
    return total


def escalation_due(
    profile: CentreProfile, created: datetime, now: datetime, urgent: bool, minutes: int, urgent_minutes: int
) -> bool:
    """Urgent hand-offs escalate after `urgent_minutes` of any time; others after `minutes` of opening hours."""
    if urgent:
        return now - created >= timedelta(minutes=urgent_minutes)
    return open_seconds_between(profile, created.astimezone(now.tzinfo), now) >= minutes * 60
