"""The monthly report's figures: they match the database, small cells are hidden, nothing identifies anyone."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import func, select

from bot.platform.models import LineUser, Message
from bot.report.build import build_report
from bot.report.cells import SUPPRESSED_NOTE
from bot.report.csvout import report_csvs, table_csv
from tests.handoff.factories import TOKYO
from tests.report.data import NAME, SECRET_WORDS

NOVEMBER = date(2026, 11, 1)


def rows_of(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """A report CSV as {(区分, 指標): row}."""
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text[1:]))
    return {(r["区分"], r["指標"]): r for r in reader}


def report(factory):
    with factory() as session:
        return build_report(session, NOVEMBER, TOKYO)


def test_the_message_figures_match_the_database(seeded):
    rows = rows_of(table_csv(report(seeded).table("activity")))
    with seeded() as session:
        lo, hi = (date(2026, 11, 1), date(2026, 12, 1))
        from datetime import datetime, time

        bounds = (datetime.combine(lo, time(), TOKYO), datetime.combine(hi, time(), TOKYO))
        inbound = session.scalar(
            select(func.count()).where(
                Message.direction == "in", Message.created_at >= bounds[0], Message.created_at < bounds[1]
            )
        )
        people = session.scalar(
            select(func.count(Message.user_id.distinct())).where(
                Message.direction == "in", Message.created_at >= bounds[0], Message.created_at < bounds[1]
            )
        )
    assert int(rows[("利用者からのメッセージ", "件数")]["今月"]) == inbound == 19
    assert int(rows[("利用者", "メッセージを送った人数")]["今月"]) == people == 11
    assert rows[("利用者", "メッセージを送った人数")]["前3か月平均"] == "6"
    assert rows[("利用者", "メッセージを送った人数")]["増減"] == "5"


def test_intents_beside_the_previous_three_months_and_small_cells_hidden(seeded):
    rows = rows_of(table_csv(report(seeded).table("intents")))
    volunteer = rows[("ボランティア", "件数")]
    assert (volunteer["今月"], volunteer["前3か月平均"], volunteer["増減"], volunteer["増減率（%）"]) == (
        "16",
        "6",
        "10",
        "166.7",
    )
    founding = rows[("設立・運営", "件数")]
    assert founding["今月"] == "" and founding["増減"] == "" and SUPPRESSED_NOTE in founding["注記"]


def test_hand_offs_bookings_and_wards(seeded):
    built = report(seeded)
    handoffs = rows_of(table_csv(built.table("handoffs")))
    assert handoffs[("相談員を希望", "件数")]["今月"] == "5"
    assert handoffs[("緊急（危機の兆候）", "件数")]["今月"] == ""  # one resident
    assert handoffs[("相談員が対応するまで", "中央値")]["今月"] == "11.5"  # waits of 2, 10, 11, 12, 13, 14 minutes
    bookings = rows_of(table_csv(built.table("bookings")))
    general = next(k for k in bookings if k[1] == "来所" and k[0] != "合計")
    assert bookings[general]["今月"] == "6"
    assert bookings[(general[0], "無断欠席")]["今月"] == ""
    assert bookings[(general[0], "予約")]["今月"] == ""  # 8, less 6 来所, would give the 2 no-shows away
    wards = rows_of(table_csv(built.table("wards")))
    assert wards[("港北区", "人数")]["今月"] == "5"


def test_outcomes_and_unanswered_themes_name_no_resident_wording(seeded):
    built = report(seeded)
    outcomes = rows_of(table_csv(built.table("outcomes")))
    assert outcomes[("FAQで回答", "件数")]["今月"] == "16"
    assert outcomes[("わかりません", "件数")]["今月"] == "6"
    assert outcomes[("もしかして（候補を提示）", "件数")]["今月"] == ""
    assert outcomes[("FAQで回答", "割合")]["前3か月平均"] == "100"
    themes = rows_of(table_csv(built.table("themes")))
    assert [(k[0], r["今月"]) for k, r in themes.items()] == [
        ("設立・運営に関する質問", "6"),
        ("分類できなかった質問", ""),
    ]


def test_a_total_is_hidden_when_one_of_its_parts_is(seeded):
    built = report(seeded)
    outcomes = rows_of(table_csv(built.table("outcomes")))
    # 30 in all, less 16 + 6 + 6, would give the 2 「もしかして」 away; and 16 / 30 would give the 30 away
    assert outcomes[("合計", "件数")]["今月"] == "" and SUPPRESSED_NOTE in outcomes[("合計", "件数")]["注記"]
    assert outcomes[("FAQで回答", "割合")]["今月"] == "" and outcomes[("わかりません", "割合")]["今月"] == ""
    handoffs = rows_of(table_csv(built.table("handoffs")))
    assert handoffs[("合計", "件数")]["今月"] == ""  # 6, less 5 asked for, is the one crisis hand-off
    bookings = rows_of(table_csv(built.table("bookings")))
    assert bookings[("合計", "来所")]["今月"] == "6" and bookings[("合計", "予約")]["今月"] == ""


def test_no_csv_holds_a_name_a_line_id_or_a_message(seeded):
    everything = "".join(report_csvs(report(seeded)).values())
    with seeded() as session:
        line_ids = list(session.scalars(select(LineUser.line_user_id)))
    assert line_ids and not [i for i in line_ids if i in everything]
    assert NAME not in everything
    assert SECRET_WORDS not in everything and "090" not in everything and "助成金の申請書" not in everything
