"""Dashboard figures for a period (dates in the centre's timezone): messages, intents, outcomes, feedback, push."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin import providers
from admin.insights.grouping import Group, Question, group_questions
from admin.operations.settings import get_setting
from bot.platform.models import Message, OutboxItem
from knowledge.models import AnswerFeedback, FaqEntry, UnansweredQuestion

MAX_DAYS = 366
DEFAULT_DAYS = 30
INTENT_JA = {
    "volunteer": "ボランティア",
    "founding": "設立・運営",
    "dissolution": "解散・継承",
    "partnering": "連携・協働",
    "centre_info": "センター案内",
    "booking": "相談予約",
    "human": "人と話したい",
    "crisis": "緊急・つらい",
    "out_of_scope": "対象外",
    "greeting": "あいさつ",
}


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end` inclusive, in the centre's timezone."""

    start: date
    end: date
    tz: ZoneInfo

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes."""
        return (
            datetime.combine(self.start, time(), self.tz),
            datetime.combine(self.end + timedelta(days=1), time(), self.tz),
        )

    def days(self) -> list[date]:
        """Every day of the period."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(day)
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def parse_period(start: str | None, end: str | None, today: date, tz: ZoneInfo) -> Period:
    """The chosen period (default: the last 30 days), clipped to at most a year, start before end."""
    try:
        last = date.fromisoformat(end) if end else today
    except ValueError:
        last = today
    try:
        first = date.fromisoformat(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    first, last = min(first, last), max(first, last)
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return Period(first, last, tz)


def messages_per_day(session: Session, period: Period) -> list[tuple[date, int, int]]:
    """(day, messages from residents, messages from the bot) for every day of the period."""
    lo, hi = period.bounds
    rows = session.execute(
        select(Message.created_at, Message.direction).where(Message.created_at >= lo, Message.created_at < hi)
    )
    counts: Counter = Counter()
    for created, direction in rows:
        counts[(created.astimezone(period.tz).date(), direction)] += 1
    return [(d, counts[(d, "in")], counts[(d, "out")]) for d in period.days()]


def intents(session: Session, period: Period) -> list[tuple[str, int]]:
    """Resident messages per triaged intent, most frequent first."""
    lo, hi = period.bounds
    rows = session.execute(
        select(Message.intent, func.count())
        .where(
            Message.direction == "in", Message.intent.is_not(None), Message.created_at >= lo, Message.created_at < hi
        )
        .group_by(Message.intent)
        .order_by(func.count().desc(), Message.intent)
    )
    return [(intent, n) for intent, n in rows]


def outcomes(session: Session, period: Period, handed_off: int | None) -> list[tuple[str, int | None]]:
    """Answered from an FAQ, 「もしかして」, 「わかりません」 and handed to a person (None: no hand-off data)."""
    lo, hi = period.bounds
    answered = session.scalar(
        select(func.count()).where(
            Message.direction == "in", Message.faq_id.is_not(None), Message.created_at >= lo, Message.created_at < hi
        )
    )
    reasons = dict(
        session.execute(
            select(UnansweredQuestion.reason, func.count())
            .where(UnansweredQuestion.created_at >= lo, UnansweredQuestion.created_at < hi)
            .group_by(UnansweredQuestion.reason)
        ).all()
    )
    return [
        ("FAQで回答", int(answered or 0)),
        ("もしかして（候補を提示）", int(reasons.get("low_confidence", 0))),
        ("わかりません", int(reasons.get("abstained", 0))),
        ("相談員に引き継ぎ", handed_off),
    ]


def answer_rate(rows: list[tuple[str, int]]) -> float | None:
    """Share of the known outcomes that were answered from an FAQ (the first row)."""
    total = sum(n for _, n in rows)
    return rows[0][1] / total if total else None


def feedback(session: Session, period: Period, limit: int = 10) -> tuple[int, int, list[tuple[str, str, int, int]]]:
    """(helpful, unhelpful, the FAQs rated unhelpful most: id, question, helpful, unhelpful)."""
    lo, hi = period.bounds
    rows = session.execute(
        select(AnswerFeedback.faq_id, AnswerFeedback.helpful, func.count())
        .where(AnswerFeedback.created_at >= lo, AnswerFeedback.created_at < hi)
        .group_by(AnswerFeedback.faq_id, AnswerFeedback.helpful)
    ).all()
    per: dict[str, list[int]] = {}
    for faq_id, helpful, n in rows:
        per.setdefault(faq_id, [0, 0])[0 if helpful else 1] += n
    questions = dict(session.execute(select(FaqEntry.id, FaqEntry.question).where(FaqEntry.id.in_(per))).all())
    worst = sorted(per.items(), key=lambda kv: (-kv[1][1], kv[1][0], kv[0]))
    table = [(faq_id, questions.get(faq_id, faq_id), yes, no) for faq_id, (yes, no) in worst if no][:limit]
    return sum(v[0] for v in per.values()), sum(v[1] for v in per.values()), table


def unanswered_themes(session: Session, period: Period, limit: int = 10) -> list[Group]:
    """The largest groups of similar questions the bot could not answer in the period (any status)."""
    lo, hi = period.bounds
    rows = session.scalars(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.created_at >= lo, UnansweredQuestion.created_at < hi)
        .where(UnansweredQuestion.text != "")  # cleared by the retention job or an erasure
        .order_by(UnansweredQuestion.created_at.desc())
        .limit(2000)
    )
    return group_questions([Question(r.id, r.text, r.reason, r.best_faq_id) for r in rows])[:limit]


def push_usage(session: Session, period: Period) -> list[tuple[str, int, int]]:
    """(month, pushes sent, monthly budget) for each month of the period."""
    budget = int(get_setting(session, "push_monthly_budget"))
    out = []
    for month in period.months():
        lo = datetime.combine(month, time(), period.tz)
        hi = datetime.combine((month + timedelta(days=32)).replace(day=1), time(), period.tz)
        sent = session.scalar(
            select(func.count()).where(OutboxItem.via == "push", OutboxItem.sent_at >= lo, OutboxItem.sent_at < hi)
        )
        out.append(
            (
                f"{month.year}-{month.month:02d}",
                int(sent or 0) + providers.group_pushes(session, lo, hi) + providers.notice_pushes(session, lo, hi),
                budget,
            )
        )
    return out
