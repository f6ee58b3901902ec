"""One month's figures, each with the number of residents behind it (counts come from the dashboard's metrics)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin import providers
from admin.insights import metrics
from bot.booking.models import Booking, ConsultationType, Slot
from bot.handoff.models import OUTCOMES, Handoff
from bot.handoff.queue import REASON_JA
from bot.platform.models import Conversation, LineUser, Message
from bot.report.cells import Cell, protect, rate

# table name → {(label, metric, unit): Cell}, in display order
Figures = dict[str, dict[tuple[str, str, str], Cell]]
OUTCOME_LABELS = ("FAQで回答", "もしかして（候補を提示）", "わかりません", "相談員に引き継ぎ")


def month_period(month: date, tz) -> metrics.Period:
    """The whole calendar month containing `month`."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return metrics.Period(first, last, tz)


def month_figures(session: Session, period: metrics.Period) -> Figures:
    """Every comparable figure of the period (themes aside: they are built for the report's month only)."""
    return {
        "activity": activity(session, period),
        "intents": intents(session, period),
        "topics": topics(session, period),
        "wards": wards(session, period),
        "outcomes": outcomes(session, period),
        "handoffs": handoffs(session, period),
        "bookings": bookings(session, period),
    }


def _in_period(column, period: metrics.Period):
    lo, hi = period.bounds
    return (column >= lo, column < hi)


def _people(n: int) -> Cell:
    return Cell(n, n)


def activity(session: Session, period: metrics.Period) -> dict:
    """Messages both ways, residents who wrote, new friends and blocks."""
    out: dict = {}
    for direction, label in (("in", "利用者からのメッセージ"), ("out", "ボットからのメッセージ")):
        count, people = session.execute(
            select(func.count(), func.count(Message.user_id.distinct())).where(
                Message.direction == direction, *_in_period(Message.created_at, period)
            )
        ).one()
        out[(label, "件数", "count")] = Cell(count, people)
        if direction == "in":
            out[("利用者", "メッセージを送った人数", "people")] = _people(people)
    for column, label in ((LineUser.followed_at, "友だち追加"), (LineUser.unfollowed_at, "ブロック")):
        n = session.scalar(select(func.count()).select_from(LineUser).where(*_in_period(column, period)))
        out[(label, "人数", "people")] = _people(int(n or 0))
    return out


def intents(session: Session, period: metrics.Period) -> dict:
    """Resident messages per triaged intent (counts from the dashboard), with the residents behind each."""
    people = dict(
        session.execute(
            select(Message.intent, func.count(Message.user_id.distinct()))
            .where(Message.direction == "in", Message.intent.is_not(None), *_in_period(Message.created_at, period))
            .group_by(Message.intent)
        ).all()
    )
    counts = dict(metrics.intents(session, period))
    order = [*metrics.INTENT_JA, *sorted(set(counts) - set(metrics.INTENT_JA))]
    return {(metrics.INTENT_JA.get(k, k), "件数", "count"): Cell(counts.get(k, 0), people.get(k, 0)) for k in order}


def topics(session: Session, period: metrics.Period) -> dict:
    """Questions answered from an FAQ, per topic of the FAQ entry."""
    from knowledge.models import FaqEntry

    rows = session.execute(
        select(FaqEntry.topic, func.count(), func.count(Message.user_id.distinct()))
        .join(FaqEntry, FaqEntry.id == Message.faq_id)
        .where(Message.direction == "in", *_in_period(Message.created_at, period))
        .group_by(FaqEntry.topic)
    ).all()
    found = {topic: Cell(n, people) for topic, n, people in rows}
    order = ["volunteer", "founding", "dissolution", "partnering", "centre_info", "referral"]
    order += sorted(set(found) - set(order))
    labels = {**metrics.INTENT_JA, "referral": "他の窓口の案内"}
    return {(labels.get(t, t), "回答数", "count"): found.get(t, Cell(0, 0)) for t in order}


def wards(session: Session, period: metrics.Period) -> dict:
    """Residents per ward, where a ward was recorded (typed in a guided path or a hand-off's slots)."""
    seen: dict[str, set[int]] = defaultdict(set)
    for user_id, slots in session.execute(
        select(Conversation.user_id, Conversation.slots).where(*_in_period(Conversation.updated_at, period))
    ):
        ward = (slots or {}).get("ward_name") or (slots or {}).get("ward")
        if isinstance(ward, str) and ward.endswith("区"):
            seen[ward].add(user_id)
    for user_id, summary in session.execute(
        select(Handoff.user_id, Handoff.summary).where(*_in_period(Handoff.created_at, period))
    ):
        ward = ((summary or {}).get("slots") or {}).get("ward")
        if isinstance(ward, str) and ward.endswith("区"):
            seen[ward].add(user_id)
    return {(ward, "人数", "people"): _people(len(users)) for ward, users in sorted(seen.items())}


def outcomes(session: Session, period: metrics.Period) -> dict:
    """Answered, もしかして, わかりません and handed off (the dashboard's counts), and each one's share."""
    answered_people = session.scalar(
        select(func.count(Message.user_id.distinct())).where(
            Message.direction == "in", Message.faq_id.is_not(None), *_in_period(Message.created_at, period)
        )
    )
    handoff_people = session.scalar(
        select(func.count(Handoff.user_id.distinct())).where(*_in_period(Handoff.created_at, period))
    )
    lo, hi = period.bounds
    stats = providers.handoff_stats(session, lo, hi)
    rows = metrics.outcomes(session, period, stats.total if stats else 0)
    # もしかして and わかりません rows do not record the resident: their count bounds the residents behind them
    people = (answered_people, None, None, handoff_people)
    cells = [Cell(n or 0, p) for (_label, n), p in zip(rows, people, strict=True)]
    out = {(label, "件数", "count"): cell for label, cell in zip(OUTCOME_LABELS, cells, strict=True)}
    total = protect(Cell(sum(c.value for c in cells)), cells)
    out[("合計", "件数", "count")] = total
    for label, cell in zip(OUTCOME_LABELS, cells, strict=True):
        out[(label, "割合", "percent")] = rate(cell, total)
    return out


def handoffs(session: Session, period: metrics.Period) -> dict:
    """Hand-offs per reason and per outcome, the median wait for a coordinator and those never taken."""
    lo, hi = period.bounds
    stats = providers.handoff_stats(session, lo, hi)
    rows = session.execute(
        select(Handoff.user_id, Handoff.reason, Handoff.outcome, Handoff.assigned_at).where(
            *_in_period(Handoff.created_at, period)
        )
    ).all()
    by_reason, by_outcome = defaultdict(set), defaultdict(set)
    for user_id, reason, outcome, _assigned in rows:
        by_reason[reason].add(user_id)
        if outcome:
            by_outcome[outcome].add(user_id)
    out: dict = {}
    for reason, label in REASON_JA.items():
        out[(label, "件数", "count")] = Cell(stats.by_reason.get(reason, 0), len(by_reason[reason]))
    for outcome, label in OUTCOMES.items():
        out[(f"結果: {label}", "件数", "count")] = Cell(stats.by_outcome.get(outcome, 0), len(by_outcome[outcome]))
    taken = {u for u, _r, _o, assigned in rows if assigned is not None}
    out[("相談員が対応するまで", "中央値", "minutes")] = Cell(stats.median_wait_minutes, len(taken))
    never = {u for u, _r, _o, assigned in rows if assigned is None}
    out[("相談員が対応しなかった", "件数", "count")] = Cell(stats.never_taken, len(never))
    reasons = [out[(label, "件数", "count")] for label in REASON_JA.values()]
    out[("合計", "件数", "count")] = protect(Cell(stats.total, len({u for u, *_x in rows})), reasons)
    return out


BOOKING_METRICS = (("booked", "予約"), ("attended", "来所"), ("no_show", "無断欠席"), ("cancelled", "キャンセル"))
BOOKED = ("confirmed", "attended", "no_show")


def bookings(session: Session, period: metrics.Period) -> dict:
    """Bookings, attendance, no-shows and cancellations per consultation type (slots starting in the month)."""
    lo, hi = period.bounds
    stats = {row.type_name: row for row in providers.booking_stats(session, lo, hi) or []}
    people: dict[tuple[str, str], set[int]] = defaultdict(set)
    for name, status, user_id in session.execute(
        select(ConsultationType.name, Booking.status, Booking.user_id)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(ConsultationType, ConsultationType.id == Slot.type_id)
        .where(*_in_period(Slot.starts_at, period))
    ):
        people[(name, status)].add(user_id)
        if status in BOOKED:
            people[(name, "booked")].add(user_id)
    order = select(ConsultationType.name).order_by(ConsultationType.sort_order, ConsultationType.name)
    names = list(session.scalars(order))
    out: dict = {}
    totals: Counter = Counter()
    total_people: dict[str, set[int]] = defaultdict(set)
    for name in [*names, *sorted(set(stats) - set(names))]:
        row = stats.get(name)
        cells = {key: Cell(getattr(row, key) if row else 0, len(people[(name, key)])) for key, _m in BOOKING_METRICS}
        # 予約 less 来所 is nearly 無断欠席 once the month is over: hide 予約 when either of those is hidden
        cells["booked"] = protect(cells["booked"], [cells["attended"], cells["no_show"]])
        for key, metric in BOOKING_METRICS:
            out[(name, metric, "count")] = cells[key]
            totals[key] += cells[key].value
            total_people[key] |= people[(name, key)]
    for key, metric in BOOKING_METRICS:
        parts = [cell for (_name, m, _u), cell in out.items() if m == metric]
        out[("合計", metric, "count")] = protect(Cell(totals[key], len(total_people[key])), parts)
    return out
