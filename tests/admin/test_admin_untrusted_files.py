"""Files staff open or upload: no CSV the admin writes carries a live spreadsheet formula (bookings, insights
tables, the FAQ export, which still imports back exactly), and YAML uploads refuse anchors and aliases before
anything is built (a 546-byte alias bomb expands to 10⁸ nodes)."""

from __future__ import annotations

import csv
import io

import pytest

from bot.booking import service
from knowledge import editing
from knowledge import io as kb_io
from knowledge.models import FaqEntry, UnansweredQuestion
from knowledge.spreadsheet import restore_cell, safe_cell
from tests.booking.factories import NOW, SETTINGS, Clock, make_slot, make_user
from tests.support.admin import csrf_token

FORMULAS = ['=HYPERLINK("http://evil.example/","詳細")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
BOMB = """a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
entries: [{id: founding.bomb, topic: founding, question: q, answer: a, source: s, paraphrases: [*h,*h,*h]}]
"""


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def assert_no_live_formula(text: str) -> None:
    for cell in cells(text):
        assert not cell or cell[0] not in "=+-@\t\r", f"a spreadsheet would run {cell!r}"


@pytest.mark.parametrize("value", [*FORMULAS, "'=1", "''+x", "普通の文", "'quoted'", "", "- 箇条書き"])
def test_a_neutralised_cell_reads_back_exactly(value):
    written = safe_cell(value)
    assert not written or written[0] not in "=+-@\t\r"
    assert restore_cell(written) == value


def test_the_booking_csv_carries_no_formula(app, staff, factory):
    app.extensions["madoguchi"].context.clock = Clock()
    with factory() as s:
        user, slot = make_user(s, "evil"), make_slot(s, "2026-12-01 10:00", capacity=3)
        user.display_name = "@SUM(A1:A9)"
        hold = service.hold_slot(s, user.id, slot.id, NOW, SETTINGS)
        hold.organisation, hold.summary = "+81-45-000", FORMULAS[0]
        service.confirm_booking(s, hold.id, user.id, NOW, SETTINGS)
        s.commit()
    body = staff.get("/admin/booking/bookings.csv").get_data(as_text=True)
    assert "HYPERLINK" in body and "'@SUM(A1:A9)" in body
    assert_no_live_formula(body)


def test_the_insights_themes_csv_carries_no_formula(staff, factory):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    with factory() as s:
        for text in FORMULAS:
            s.add(
                UnansweredQuestion(
                    text=text, reason="abstained", created_at=datetime(2026, 11, 3, tzinfo=ZoneInfo("Asia/Tokyo"))
                )
            )
        s.commit()
    body = staff.get("/admin/insights/themes.csv?start=2026-11-01&end=2026-11-07").get_data(as_text=True)
    assert "HYPERLINK" in body
    assert_no_live_formula(body)


def test_the_faq_csv_export_carries_no_formula_and_imports_back_exactly(factory):
    with factory() as s:
        data = editing.row_data(s.get(FaqEntry, "founding.npo_steps"))
        editing.publish(s, {**data, "answer": '=HYPERLINK("http://evil.example/")\n- 手順', "note": "-メモ"}, "s")
        s.commit()
        exported = kb_io.export_csv(s)
    assert "HYPERLINK" in exported
    assert_no_live_formula(exported)
    [record] = [r for r in kb_io.parse_csv(exported) if r["id"] == "founding.npo_steps"]
    assert record["answer"].startswith("=HYPERLINK(") and record["note"] == "-メモ"


def test_a_yaml_alias_bomb_is_refused_at_once(staff):
    with pytest.raises(editing.EditError, match="エイリアス"):  # refused on the event stream, never expanded
        kb_io.parse_yaml(BOMB)
    data = {"csrf_token": csrf_token(staff, "/admin/kb/"), "file": (io.BytesIO(BOMB.encode()), "bomb.yaml")}
    page = staff.post("/admin/kb/import", data=data, content_type="multipart/form-data", follow_redirects=True)
    assert page.status_code in (200, 400) and "エイリアス" in page.get_data(as_text=True)


def test_plain_yaml_still_imports(factory):
    with factory() as s:
        text = kb_io.export_yaml(s)
    assert kb_io.parse_yaml(text)
