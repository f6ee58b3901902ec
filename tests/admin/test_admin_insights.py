"""Insights: figures for a period, SVG charts without network, 「データなし」 for absent sources, CSV per table."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from admin import providers
from admin.insights import charts, metrics
from bot.platform.models import LineUser, Message, OutboxItem, Setting
from knowledge.models import AnswerFeedback, UnansweredQuestion

TOKYO = ZoneInfo("Asia/Tokyo")
PERIOD = "?start=2026-11-01&end=2026-11-07"


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=TOKYO)


def seed(session) -> LineUser:
    """A small, known week: 6 questions (4 answered), feedback, unanswered questions, pushes."""
    user = LineUser(line_user_id="U" + uuid.uuid4().hex)
    session.add(user)
    session.flush()
    rows = [
        (1, "founding", "founding.npo_steps"),
        (1, "founding", "founding.npo_min_members"),
        (2, "volunteer", "volunteer.disaster"),
        (3, "greeting", None),
        (3, "founding", "founding.npo_steps"),
        (7, "out_of_scope", None),
    ]
    for day, intent, faq_id in rows:
        session.add(
            Message(
                user_id=user.id, direction="in", kind="text", text="q", intent=intent, faq_id=faq_id, created_at=at(day)
            )
        )
        session.add(Message(user_id=user.id, direction="out", kind="text", created_at=at(day)))
    session.add(Message(user_id=user.id, direction="in", kind="text", text="outside", created_at=at(8, 1)))
    session.add_all(
        [
            AnswerFeedback(faq_id="founding.npo_steps", helpful=True, created_at=at(1)),
            AnswerFeedback(faq_id="founding.npo_steps", helpful=True, created_at=at(3)),
            AnswerFeedback(faq_id="volunteer.disaster", helpful=False, created_at=at(2)),
            UnansweredQuestion(text="駐車場はありますか", reason="abstained", created_at=at(3)),
            UnansweredQuestion(text="駐車場ある？", reason="low_confidence", created_at=at(4)),
            UnansweredQuestion(text="印刷機を使いたい", reason="abstained", created_at=at(5)),
            UnansweredQuestion(text="駐車場", reason="unhelpful", created_at=at(6)),
        ]
    )
    for day in (1, 2):
        session.add(
            OutboxItem(
                user_id=user.id,
                line_user_id=user.line_user_id,
                messages=[{"type": "text", "text": "ご予約は明日です。"}],
                via="push",
                status="sent",
                retry_key=uuid.uuid4().hex,
                sent_at=at(day),
            )
        )
    session.add(Setting(key="push_monthly_budget", value=50))
    session.commit()
    return user


def period():
    return metrics.Period(date(2026, 11, 1), date(2026, 11, 7), TOKYO)


def test_the_figures_for_a_period(factory):
    with factory() as s:
        seed(s)
        daily = metrics.messages_per_day(s, period())
        assert len(daily) == 7 and daily[0] == (date(2026, 11, 1), 2, 2) and daily[-1][1] == 1
        assert metrics.intents(s, period())[0] == ("founding", 3)
        outcomes = metrics.outcomes(s, period(), handed_off=None)
        assert outcomes == [
            ("FAQで回答", 4),
            ("もしかして（候補を提示）", 1),
            ("わかりません", 2),
            ("相談員に引き継ぎ", None),
        ]
        assert metrics.answer_rate([(k, n) for k, n in outcomes if n is not None]) == pytest.approx(4 / 7)
        yes, no, worst = metrics.feedback(s, period())
        assert (yes, no) == (2, 1) and worst[0][0] == "volunteer.disaster"
        themes = metrics.unanswered_themes(s, period())
        assert [(g.count, g.text) for g in themes] == [(3, "駐車場"), (1, "印刷機を使いたい")]
        assert metrics.push_usage(s, period()) == [("2026-11", 2, 50)]


def test_periods_default_to_thirty_days_and_are_clipped():
    today = date(2026, 11, 23)
    assert metrics.parse_period(None, None, today, TOKYO).start == today - timedelta(days=29)
    swapped = metrics.parse_period("2026-11-10", "2026-11-01", today, TOKYO)
    assert (swapped.start, swapped.end) == (date(2026, 11, 1), date(2026, 11, 10))
    assert metrics.parse_period("2000-01-01", "2026-11-01", today, TOKYO).start == date(2025, 11, 1)
    assert metrics.parse_period("nonsense", "", today, TOKYO).end == today


def test_the_dashboard_renders_with_seeded_data(staff, factory):
    with factory() as s:
        seed(s)
    page = staff.get("/admin/insights/" + PERIOD).get_data(as_text=True)
    assert 'id="answer-rate">57%' in page and 'id="helpful-rate">67%' in page
    assert page.count("<svg") >= 4 and "設立・運営" in page and "駐車場" in page
    assert "2 / 50" in page


def test_absent_sources_show_no_data(staff, factory, monkeypatch):
    monkeypatch.setattr(providers, "has_columns", lambda session, name, columns: False)
    page = staff.get("/admin/insights/" + PERIOD).get_data(as_text=True)
    assert 'id="nodata-handoffs">データなし' in page and 'id="nodata-bookings">データなし' in page
    assert "相談員に引き継ぎ" in page and "データなし" in page.split("回答の結果")[1].split("</table>")[0]
    exported = staff.get("/admin/insights/bookings.csv" + PERIOD).get_data(as_text=True)
    assert "データなし" in exported


def test_handoffs_are_counted_with_the_median_wait_when_their_table_exists(factory):
    models = pytest.importorskip("bot.handoff.models", reason="the hand-off feature is not in the tree")
    with factory() as s:
        user = seed(s)
        for minutes, day in ((4, 1), (10, 2), (30, 3)):
            s.add(
                models.Handoff(
                    user_id=user.id,
                    status="closed",
                    reason="asked",
                    created_at=at(day),
                    assigned_at=at(day) + timedelta(minutes=minutes),
                    closed_at=at(day, 12),
                )
            )
        s.commit()
        lo, hi = period().bounds
        stats = providers.handoff_stats(s, lo, hi)
        assert stats.total == 3 and stats.median_wait_minutes == 10 and stats.by_reason == {"asked": 3}


def test_bookings_and_no_shows_are_counted_per_type_when_their_tables_exist(factory):
    booking = pytest.importorskip("bot.booking.models", reason="the booking feature is not in the tree")
    from bot.booking.defaults import ensure_types

    with factory() as s:
        user = seed(s)
        ensure_types(s)
        kind = s.query(booking.ConsultationType).order_by(booking.ConsultationType.sort_order).first()
        slot = booking.Slot(type_id=kind.id, starts_at=at(2), ends_at=at(2, 11), capacity=3)
        s.add(slot)
        s.flush()
        for seat, status in enumerate(("attended", "no_show", "cancelled"), start=1):
            user = LineUser(line_user_id="U" + uuid.uuid4().hex)
            s.add(user)
            s.flush()
            s.add(
                booking.Booking(
                    slot_id=slot.id, user_id=user.id, status=status, seat_no=seat if status != "cancelled" else None
                )
            )
        s.commit()
        lo, hi = period().bounds
        rows = providers.booking_stats(s, lo, hi)
    assert [(r.type_name, r.booked, r.attended, r.no_show, r.cancelled) for r in rows] == [(kind.name, 2, 1, 1, 1)]


@pytest.mark.parametrize("name", ["daily", "intents", "outcomes", "feedback", "themes", "handoffs", "bookings", "push"])
def test_every_table_exports_as_csv(staff, factory, name):
    with factory() as s:
        seed(s)
    response = staff.get(f"/admin/insights/{name}.csv" + PERIOD)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"madoguchi-{name}-2026-11-01-2026-11-07.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and rows[0]


def test_an_unknown_table_is_not_found(staff):
    assert staff.get("/admin/insights/secrets.csv").status_code == 404


def test_charts_are_self_contained_svg_with_escaped_labels():
    svg = str(charts.bar_chart([("<b>", 3), ("11/02", 0)], "<script>x</script>"))
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "&#34;" in str(charts.hbar_chart([('a"b', 1)], "x")) or "&quot;" in str(charts.hbar_chart([('a"b', 1)], "x"))
    assert "100%" in str(charts.gauge(200, 200, "push")) and "0%" in str(charts.share_bar([("a", 0), ("b", 2)], "s"))


def test_bookings_made_in_the_period_for_later_dates_count_by_the_day_they_were_made(staff, factory):
    """Two bookings made on 3 November for consultations on the 20th: 「予約を受けた日」 counts them in the first
    week of November (the default), 「相談の日」 does not; the panel says which date it counts by."""
    from bot.booking.defaults import ensure_types
    from bot.booking.models import Booking, ConsultationType, Slot

    with factory() as s:
        ensure_types(s)
        kind = s.query(ConsultationType).order_by(ConsultationType.sort_order).first()
        slot = Slot(type_id=kind.id, starts_at=at(20), ends_at=at(20, 11), capacity=2)
        s.add(slot)
        s.flush()
        for seat in (1, 2):
            user = LineUser(line_user_id="U" + uuid.uuid4().hex)
            s.add(user)
            s.flush()
            made = at(3, 9 + seat)
            s.add(
                Booking(
                    slot_id=slot.id,
                    user_id=user.id,
                    status="confirmed",
                    seat_no=seat,
                    created_at=made,
                    confirmed_at=made,
                )
            )
        s.commit()
        lo, hi = period().bounds
        assert [(r.type_name, r.booked) for r in providers.booking_stats(s, lo, hi, by="made")] == [(kind.name, 2)]
        assert providers.booking_stats(s, lo, hi, by="held") == []
    made = staff.get("/admin/insights/" + PERIOD).get_data(as_text=True)
    assert "予約を受けた日が期間内の予約を数えています" in made and kind.name in made
    held = staff.get("/admin/insights/" + PERIOD + "&bookings_by=held").get_data(as_text=True)
    assert "相談の日が期間内の予約を数えています" in held and kind.name not in held.split('id="panel-bookings"')[1]
    csv_held = staff.get("/admin/insights/bookings.csv" + PERIOD + "&bookings_by=held").get_data(as_text=True)
    assert len(csv_held.strip().splitlines()) == 1
