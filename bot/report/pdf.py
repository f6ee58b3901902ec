"""The report as an A4 PDF for print (fpdf2, IPA Gothic from Debian's fonts-ipafont-gothic, simple bar charts)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from bot.report.build import Report
from bot.report.cells import SUPPRESSED, UNITS, Row, Table, fmt_number

FONT_PATH = Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")
FONT = "ipag"
GREEN, GREY = (6, 199, 85), (120, 120, 120)
CHARTS = {"intents": "件数", "outcomes": "件数", "handoffs": "件数", "themes": "件数"}
WIDTHS = (62, 22, 24, 26, 22, 24)  # 区分, 指標, 今月, 前3か月平均, 増減, 増減率 (mm; A4 less margins is 190)


class ReportPdf(FPDF):
    """A4 portrait with a running footer (page numbers)."""

    title_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"{self.title_text}　{self.page_no()} / {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def render_pdf(report: Report, centre: str = "横浜市市民協働推進センター") -> bytes:
    """The whole report as PDF bytes."""
    if not FONT_PATH.exists():
        raise RuntimeError(f"Japanese font missing: {FONT_PATH} (apt-get install fonts-ipafont-gothic)")
    pdf = ReportPdf(format="A4")
    pdf.title_text = f"LINE窓口 月次相談レポート {report.label}"
    pdf.set_title(pdf.title_text)
    pdf.set_creator("madoguchi")
    pdf.add_font(FONT, "", str(FONT_PATH))
    pdf.set_margins(10, 12, 10)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    _cover(pdf, report, centre)
    for table in report.tables:
        _table(pdf, table)
    return bytes(pdf.output())


def _cover(pdf: FPDF, report: Report, centre: str) -> None:
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, pdf.title_text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    months = "、".join(f"{m.year}年{m.month}月" for m in reversed(report.previous))
    generated = report.generated_at.strftime("%Y-%m-%d %H:%M UTC") if report.generated_at else ""
    for line in (
        centre,
        f"比較の基準: 前3か月（{months}）の平均",
        "個人が特定されないよう、氏名・LINE ID・メッセージの文面は含みません。",
        f"5人未満の利用者にあたる数値は「{SUPPRESSED}」と表示しています。",
        "伏せた数値が合計から逆算できないよう、その合計（と合計に対する割合）も伏せています。",
        f"作成: {generated}",
    ):
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _heading(pdf: FPDF, table: Table) -> None:
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.set_font(FONT, size=13)
    pdf.cell(0, 9, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    if table.note:
        pdf.set_text_color(*GREY)
        pdf.multi_cell(0, 4.5, table.note, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)


def _table(pdf: FPDF, table: Table) -> None:
    _heading(pdf, table)
    if not table.rows:
        pdf.cell(0, 6, "（データなし）", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        return
    if table.name in CHARTS:
        _bars(pdf, [r for r in table.rows if r.metric == CHARTS[table.name] and r.label != "合計"])
    header = ("区分", "指標", "今月", "前3か月平均", "増減", "増減率")
    widths = WIDTHS if table.compare else WIDTHS[:3]
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")[: len(widths)],
        headings_style=FontFace(fill_color=(225, 225, 225)),
        cell_fill_color=(245, 245, 245),
        cell_fill_mode="ROWS",
        line_height=5,
    ) as grid:
        grid.row(header[: len(widths)])
        for row in table.rows:
            grid.row(_cells(row)[: len(widths)])
    pdf.ln(3)


def _shown(row: Row, cell) -> str:
    if cell is None or cell.value is None:
        return "—"
    if cell.suppressed:
        return SUPPRESSED
    return f"{fmt_number(cell.value)}{UNITS[row.unit]}"


def _cells(row: Row) -> list[str]:
    change, ratio = row.change, row.change_ratio
    shown_change = "—" if change is None else f"{change:+,.1f}".replace(".0", "")
    if row.unit == "percent" and change is not None:
        shown_change += "pt"
    return [
        row.label,
        row.metric,
        _shown(row, row.current),
        _shown(row, row.baseline),
        shown_change,
        "—" if ratio is None else f"{100 * ratio:+.0f}%",
    ]


def _bars(pdf: FPDF, rows: list[Row]) -> None:
    """Horizontal bars of the month's visible figures (hidden cells are left out, not drawn small)."""
    items = [(r.label, r.current.value) for r in rows if r.current.value and not r.suppressed]
    if not items:
        return
    peak = max(v for _, v in items)
    label_w, bar_w, row_h = 60, 110, 5.5
    if pdf.get_y() + row_h * len(items) > pdf.h - 20:
        pdf.add_page()
    pdf.set_font(FONT, size=8)
    for label, value in items:
        y = pdf.get_y()
        pdf.set_x(pdf.l_margin)
        pdf.cell(label_w, row_h, label[:30], align="R")
        pdf.set_fill_color(*GREEN)
        pdf.rect(pdf.l_margin + label_w + 2, y + 1, max(bar_w * value / peak, 0.5), row_h - 2, style="F")
        pdf.set_xy(pdf.l_margin + label_w + 4 + bar_w * value / peak, y)
        pdf.cell(20, row_h, fmt_number(value), new_x="LMARGIN", new_y="NEXT")
    pdf.set_fill_color(255, 255, 255)
    pdf.ln(2)
