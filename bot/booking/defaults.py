"""The four consultation types with stated defaults, and demo slots for the next 8 weeks.

What the seeds say (../shared/seeds/DIGEST.md §2.1, §2.2, §8.1): the ボランタリー活動相談 is free
(相談無料); the 士業相談会 is 「会計・労務等、組織運営に関する相談の場」; the themed days 「他組織との連携」 and
「NPO法人の解散」 fell on the 4th Thursday (2025-08-28, 10-23, 11-27; 2025-06-26, 2026-02-26, 03-26).
The seeds give NO venue, hours, duration, capacity or booking method for any of them: every duration, time,
place and capacity below is a DEFAULT for staff to confirm and edit in the admin, not a fact.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.models import ConsultationType, SlotRule
from bot.booking.settings import BookingSettings
from bot.booking.slots import generate_slots

DEMO_WEEKS = 8
THURSDAY = 3


@dataclass(frozen=True)
class TypeDefault:
    """A consultation type's defaults and its recurrence rule."""

    code: str
    name: str
    label: str
    description: str
    duration: int
    buffer: int
    capacity: int
    ask: str
    bring: str
    rule: dict = field(default_factory=dict)


ASK = "差し支えなければ、団体名（あれば）と、ご相談になりたいことを短く送ってください。"
BRING = "団体の概要やご相談に関係する資料があればお持ちください（なくても大丈夫です）。"

DEFAULT_TYPES = (
    TypeDefault(
        code="general",
        name="ボランタリー活動相談",
        label="ボランタリー活動相談",
        description="ボランティアやNPOの活動について、相談員が一緒に考える無料の相談です。",
        duration=60,
        buffer=30,
        capacity=1,
        ask=ASK,
        bring=BRING,
        rule={"weekdays": [0, 1, 2, 3, 4], "start_time": "10:00", "end_time": "16:00"},  # default, not in the seeds
    ),
    TypeDefault(
        code="shigyo",
        name="士業相談会（会計・労務）",
        label="士業相談会（会計・労務）",
        description="会計・労務など、組織運営に関する専門家への相談の場です。",
        duration=50,
        buffer=10,
        capacity=1,
        ask="差し支えなければ、団体名と、会計・労務などご相談になりたいことを短く送ってください。",
        bring="決算書・就業規則など、ご相談に関係する資料があればお持ちください。",
        rule={"weekdays": [1], "nth": 2, "times": ["13:00", "14:00", "15:00"]},  # default: 2nd Tuesday
    ),
    TypeDefault(
        code="partnering",
        name="強化案件相談日（他組織との連携）",
        label="他組織との連携の相談日",
        description="NPO・行政・地縁組織・企業など、他組織との連携についての相談日です。",
        duration=60,
        buffer=15,
        capacity=1,
        ask="差し支えなければ、団体名と、連携したい相手や内容を短く送ってください。",
        bring=BRING,
        rule={"weekdays": [THURSDAY], "nth": 4, "times": ["10:00", "13:00", "15:00"]},  # 4th Thursday (seeds)
    ),
    TypeDefault(
        code="dissolution",
        name="強化案件相談日（NPO法人の解散）",
        label="NPO法人の解散の相談日",
        description="解散までのロードマップ、団体内の合意形成、解散のための手続きについての相談日です。",
        duration=60,
        buffer=15,
        capacity=1,
        ask="差し支えなければ、法人名と、いまの状況を短く送ってください。",
        bring="定款や直近の事業報告書など、法人の概要がわかる資料があればお持ちください。",
        rule={"weekdays": [THURSDAY], "nth": 4, "times": ["11:00", "14:00", "16:00"]},  # 4th Thursday (seeds)
    ),
)


def ensure_types(session: Session) -> list[ConsultationType]:
    """Create the four default types (and their rules) that do not exist yet; staff edits are kept."""
    out = []
    for order, spec in enumerate(DEFAULT_TYPES):
        ctype = session.scalar(select(ConsultationType).where(ConsultationType.code == spec.code))
        if ctype is None:
            ctype = _new_type(spec, order)
            session.add(ctype)
        out.append(ctype)
    session.flush()
    return out


def _new_type(spec: TypeDefault, order: int) -> ConsultationType:
    rule = SlotRule(
        weekdays=spec.rule["weekdays"],
        nth=spec.rule.get("nth"),
        times=spec.rule.get("times", []),
        start_time=spec.rule.get("start_time"),
        end_time=spec.rule.get("end_time"),
    )
    return ConsultationType(
        code=spec.code,
        name=spec.name,
        label=spec.label,
        description=spec.description,
        duration_minutes=spec.duration,
        place="centre",
        place_detail="",
        capacity=spec.capacity,
        buffer_minutes=spec.buffer,
        window_days=None,
        cutoff_business_days=1,
        cutoff_time="17:00",
        cancel_business_days=1,
        ask_text=spec.ask,
        bring_text=spec.bring,
        ical_token=secrets.token_urlsafe(24),
        sort_order=order,
        rules=[rule],
    )


def seed_demo(session: Session, today: date, settings: BookingSettings | None = None) -> int:
    """Default types plus their slots for the next 8 weeks from `today` (idempotent); returns slots created."""
    ensure_types(session)
    return generate_slots(session, today, settings or BookingSettings(), days=DEMO_WEEKS * 7)
