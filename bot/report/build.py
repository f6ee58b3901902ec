"""build_report: a month's anonymous tables, each figure beside the average of the previous three months."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.insights import metrics
from bot.platform.db import utcnow
from bot.report.cells import Cell, Row, Table, average
from bot.report.figures import Figures, month_figures, month_period
from knowledge.models import FaqEntry, UnansweredQuestion

TITLES = {
    "activity": "利用状況",
    "intents": "相談内容（メッセージの分類）",
    "topics": "FAQで回答した分野",
    "wards": "区別の利用者（区の記録があった場合）",
    "outcomes": "回答の結果",
    "themes": "回答できなかった質問のテーマ",
    "handoffs": "相談員への引き継ぎ",
    "bookings": "相談予約（相談の種類別）",
}
NOTES = {
    "outcomes": (
        "もしかして・わかりませんは利用者を記録しないため、件数が5未満のときに非表示。割合は合計件数に対する割合（%）。"
    ),
    "themes": "質問の文面は載せず、近いFAQまたは分類の名前と件数のみ。件数が5未満のテーマは非表示。",
    "wards": "区は案内の途中で入力されたときか、相談員への引き継ぎ時に記録されたときのみ。",
    "handoffs": "対応までの時間は相談員が引き受けるまで（分）。",
    "bookings": "その月に始まる枠の予約。予約＝確定・来所・無断欠席の合計。",
}
THEMES_LIMIT = 10


@dataclass
class Report:
    """The month's tables (anonymous by construction: labels and counts only)."""

    month: date
    previous: list[date]
    tables: list[Table] = field(default_factory=list)
    generated_at: datetime | None = None

    @property
    def label(self) -> str:
        """The month as 「2026年11月」."""
        return f"{self.month.year}年{self.month.month}月"

    @property
    def key(self) -> str:
        """The month as "2026-11"."""
        return f"{self.month.year}-{self.month.month:02d}"

    def table(self, name: str) -> Table:
        """The table called `name`."""
        return next(t for t in self.tables if t.name == name)


def previous_months(month: date, n: int = 3) -> list[date]:
    """The first days of the n months before `month`, most recent first."""
    out, day = [], month.replace(day=1)
    for _ in range(n):
        day = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
        out.append(day)
    return out


def build_report(session: Session, month: date, tz) -> Report:
    """The report for the calendar month containing `month` (in the timezone `tz`, the centre's)."""
    month = month.replace(day=1)
    previous = previous_months(month)
    current = month_figures(session, month_period(month, tz))
    before = [month_figures(session, month_period(m, tz)) for m in previous]
    report = Report(month, previous, generated_at=utcnow())
    for name in TITLES:
        if name == "themes":
            report.tables.append(themes(session, month_period(month, tz)))
            continue
        report.tables.append(_compare(name, current, before))
    return report


def _compare(name: str, current: Figures, before: list[Figures]) -> Table:
    keys = list(current[name])
    keys += [k for f in before for k in f[name] if k not in current[name]]
    table = Table(name, TITLES[name], note=NOTES.get(name, ""))
    for key in dict.fromkeys(keys):
        missing = Cell(None) if key[2] in ("minutes", "percent") else Cell(0, 0)
        cell = current[name].get(key, missing)
        baseline = average([f[name].get(key, missing) for f in before])
        table.rows.append(Row(key[0], key[1], key[2], cell, baseline))
    return table


def themes(session: Session, period: metrics.Period) -> Table:
    """Unanswered questions grouped (the insights grouping), each group named by the FAQ it came closest to or
    by its intent, never by a resident's wording; groups with the same name are merged."""
    groups = metrics.unanswered_themes(session, period, limit=200)
    ids = [i for g in groups for i in g.ids]
    intents = (
        dict(
            session.execute(
                select(UnansweredQuestion.id, UnansweredQuestion.intent).where(UnansweredQuestion.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    faq_ids = {g.suggested_faq for g in groups if g.suggested_faq}
    questions = dict(session.execute(select(FaqEntry.id, FaqEntry.question).where(FaqEntry.id.in_(faq_ids))).all())
    counts: Counter = Counter()
    for group in groups:
        counts[_theme_label(group, intents, questions)] += group.count
    table = Table("themes", TITLES["themes"], note=NOTES["themes"], compare=False)
    for label, n in counts.most_common(THEMES_LIMIT):
        table.rows.append(Row(label, "件数", "count", Cell(n)))
    return table


def _theme_label(group, intents: dict, questions: dict) -> str:
    faq = group.suggested_faq
    if faq and faq in questions:
        return f"「{questions[faq]}」に近い質問"
    found = Counter(intents.get(i) for i in group.ids if intents.get(i))
    if found:
        intent = found.most_common(1)[0][0]
        return f"{metrics.INTENT_JA.get(intent, intent)}に関する質問"
    return "分類できなかった質問"
