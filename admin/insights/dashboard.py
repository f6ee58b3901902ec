"""Insights: is the bot helping? A dashboard for a chosen period, SVG charts and a CSV export of each table."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, render_template, request

from admin import inputs, providers
from admin.insights import charts, metrics
from bot.platform.services import services
from knowledge.spreadsheet import csv_writer

bp = Blueprint("insights", __name__, url_prefix="/insights")
HANDOFF_REASON_JA = {
    "asked": "本人の希望",
    "crisis": "緊急",
    "misunderstood": "ボットが理解できず",
    "path": "案内の途中で",
    "unhelpful": "回答が役に立たず",
}
NO_DATA = "データなし"
# Which date the booking panel counts by; "made" by default, so bookings taken today for later dates show at once.
BOOKINGS_BY = {"made": "予約を受けた日", "held": "相談の日"}


def _period() -> metrics.Period:
    ctx = services().context
    start, end = request.args.get("start"), request.args.get("end")
    inputs.day(start), inputs.day(end)  # a date no calendar arithmetic survives is a 400
    return metrics.parse_period(start, end, ctx.today(), ctx.tz)


def _bookings_by() -> str:
    by = request.args.get("bookings_by", "made")
    return by if by in BOOKINGS_BY else "made"


def tables(db, period: metrics.Period, bookings_by: str = "made") -> dict[str, tuple[list[str], list[list] | None]]:
    """Every dashboard table as (header, rows); rows is None when the data source is absent. Bookings are
    counted by the day they were made or by the day of the consultation (`bookings_by`)."""
    lo, hi = period.bounds
    handoffs = providers.handoff_stats(db, lo, hi)
    outcome_rows = metrics.outcomes(db, period, handoffs.total if handoffs else None)
    yes, no, worst = metrics.feedback(db, period)
    bookings = providers.booking_stats(db, lo, hi, by=bookings_by)
    handoff_rows = None
    if handoffs is not None:
        handoff_rows = [[HANDOFF_REASON_JA.get(r, r), n] for r, n in handoffs.by_reason.most_common()]
        handoff_rows += [["合計", handoffs.total], ["対応待ち時間の中央値（分）", _num(handoffs.median_wait_minutes)]]
    return {
        "daily": (
            ["日付", "利用者から", "ボットから"],
            [[d.isoformat(), i, o] for d, i, o in metrics.messages_per_day(db, period)],
        ),
        "intents": (["内容", "件数"], [[metrics.INTENT_JA.get(k, k), n] for k, n in metrics.intents(db, period)]),
        "outcomes": (["結果", "件数"], [[k, NO_DATA if n is None else n] for k, n in outcome_rows]),
        "feedback": (
            ["FAQ（評価の低い順）", "役に立った", "立たなかった"],
            [["（合計）", yes, no], *[[f"{q}（{faq_id}）", y, n] for faq_id, q, y, n in worst]],
        ),
        "themes": (
            ["代表的な質問", "件数", "例"],
            [[g.text, g.count, " / ".join(g.examples[1:])] for g in metrics.unanswered_themes(db, period)],
        ),
        "handoffs": (["理由", "件数"], handoff_rows),
        "bookings": (
            ["相談の種類", "予約", "来所", "無断欠席", "キャンセル"],
            None
            if bookings is None
            else [[b.type_name, b.booked, b.attended, b.no_show, b.cancelled] for b in bookings],
        ),
        "push": (["月", "プッシュ送信数", "上限"], [list(row) for row in metrics.push_usage(db, period)]),
    }


def _num(value) -> str:
    return NO_DATA if value is None else f"{value:g}"


@bp.get("/")
def index():
    """The dashboard for the chosen period (default: the last 30 days)."""
    period, by = _period(), _bookings_by()
    with services().session_factory() as db:
        data = tables(db, period, by)
    return render_template(
        "admin/insights.html",
        period=period,
        t=data,
        c=_charts(data),
        no_data=NO_DATA,
        bookings_by=by,
        BOOKINGS_BY=BOOKINGS_BY,
    )


def _charts(data: dict) -> dict:
    daily = data["daily"][1]
    outcomes = [(k, n) for k, n in data["outcomes"][1] if isinstance(n, int)]
    yes, no = data["feedback"][1][0][1:3]
    push = data["push"][1][-1]
    return {
        "daily": charts.bar_chart([(d[5:].replace("-", "/"), i) for d, i, _o in daily], "1日あたりのメッセージ数"),
        "intents": charts.hbar_chart([(k, n) for k, n in data["intents"][1]], "内容の内訳"),
        "outcomes": charts.share_bar(outcomes, "回答の結果") if sum(n for _, n in outcomes) else None,
        "feedback": charts.share_bar([("役に立った", yes), ("役に立たなかった", no)], "評価") if yes + no else None,
        "push": charts.gauge(push[1], push[2], f"{push[0]} のプッシュ送信数"),
        "answer_rate": metrics.answer_rate(outcomes),
        "helpful_rate": yes / (yes + no) if yes + no else None,
    }


@bp.get("/<name>.csv")
def export(name: str):
    """One dashboard table as CSV (UTF-8 with BOM) for the same period."""
    period = _period()
    with services().session_factory() as db:
        data = tables(db, period, _bookings_by())
    if name not in data:
        abort(404)
    header, rows = data[name]
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows if rows is not None else [[NO_DATA]])
    filename = f"madoguchi-{name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
