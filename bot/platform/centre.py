"""The centre profile: staff-editable facts (name, contact, hours) loaded from YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import jpholiday
import yaml

from bot import DATA_DIR

DEFAULT_PROFILE = DATA_DIR / "centre.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_JA = {"mon": "月", "tue": "火", "wed": "水", "thu": "木", "fri": "金", "sat": "土", "sun": "日"}


@dataclass(frozen=True)
class CentreProfile:
    """Contact data and opening hours of the centre."""

    name: str
    postal_code: str
    address: str
    phone: str
    fax: str
    web_url: str
    inquiry: str
    access: tuple[str, ...]
    hours: dict[str, tuple[time, time] | None]
    closures: tuple[str, ...] = field(default_factory=tuple)

    def opening_hours(self, day: date) -> tuple[time, time] | None:
        """Opening and closing time on a day, or None when closed."""
        if day.strftime("%m-%d") in self.closures:
            return None
        if jpholiday.is_holiday(day):
            return self.hours.get("holiday")
        return self.hours.get(WEEKDAYS[day.weekday()])

    def is_open(self, now: datetime) -> bool:
        """Whether staff are at the counter at `now` (a local, timezone-aware time)."""
        hours = self.opening_hours(now.date())
        return hours is not None and hours[0] <= now.time() < hours[1]

    def next_opening(self, now: datetime) -> datetime:
        """The next time the centre opens after `now` (or `now` itself when open)."""
        if self.is_open(now):
            return now
        for offset in range(0, 15):
            day = now.date() + timedelta(days=offset)
            hours = self.opening_hours(day)
            if hours is None:
                continue
            start = datetime.combine(day, hours[0], tzinfo=now.tzinfo)
            if start > now:
                return start
        raise ValueError("the centre profile has no opening hours in the next two weeks")

    @property
    def hours_text(self) -> str:
        """Hours as residents read them, e.g. 「平日 9:00-20:00／土日祝 9:00-17:00」."""
        groups: dict[str, list[str]] = {}
        for key in (*WEEKDAYS, "holiday"):
            groups.setdefault(_span(self.hours.get(key)), []).append(key)
        parts = [f"{_days_label(keys)} {span}" for span, keys in groups.items()]
        return "／".join(parts)

    def placeholders(self) -> Mapping[str, str]:
        """Values for {{centre.KEY}} placeholders in knowledge answers (worked out once per profile: every card
        fills them)."""
        return self._placeholders

    @cached_property
    def _placeholders(self) -> Mapping[str, str]:
        return MappingProxyType(
            {
                "name": self.name,
                "postal_code": self.postal_code,
                "address": self.address,
                "phone": self.phone,
                "fax": self.fax,
                "hours_text": self.hours_text,
                "access": "／".join(self.access),
                "web_url": self.web_url,
            }
        )


def _span(hours: tuple[time, time] | None) -> str:
    return "休み" if hours is None else f"{hours[0].hour}:{hours[0]:%M}-{hours[1].hour}:{hours[1]:%M}"


def _days_label(keys: list[str]) -> str:
    weekdays = [k for k in keys if k in WEEKDAYS[:5]]
    label = ""
    if len(weekdays) == 5:
        label = "平日"
    elif weekdays:
        label = "・".join(WEEKDAY_JA[k] for k in weekdays)
    weekend = "".join(WEEKDAY_JA[k] for k in keys if k in ("sat", "sun"))
    label += weekend
    if "holiday" in keys:
        label += "祝"
    return label


def _parse_hours(value: str | None) -> tuple[time, time] | None:
    if not value:
        return None
    start, end = value.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def load_profile(path: str | Path | None = None) -> CentreProfile:
    """Read the centre profile YAML (the shipped default when no path is given)."""
    data = yaml.safe_load(Path(path or DEFAULT_PROFILE).read_text(encoding="utf-8"))
    hours = {key: _parse_hours(data.get("hours", {}).get(key)) for key in (*WEEKDAYS, "holiday")}
    return CentreProfile(
        name=data["name"],
        postal_code=str(data.get("postal_code", "")),
        address=data["address"],
        phone=str(data["phone"]),
        fax=str(data.get("fax", "")),
        web_url=data.get("web_url", ""),
        inquiry=data.get("inquiry", ""),
        access=tuple(data.get("access", [])),
        hours=hours,
        closures=tuple(str(c) for c in data.get("closures") or []),
    )
