"""The report's tables as CSV files (UTF-8 with BOM for Excel, formula cells neutralised by csv_writer)."""

from __future__ import annotations

import io
from pathlib import Path

from bot.report.build import Report
from bot.report.cells import SUPPRESSED_NOTE, UNITS, Row, Table
from knowledge.spreadsheet import csv_writer

HEADER = ["区分", "指標", "単位", "今月", "前3か月平均", "増減", "増減率（%）", "注記"]
BOM = "\ufeff"


def _number(value) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def _row(row: Row, compare: bool) -> list:
    notes = []
    current = "" if row.suppressed else _number(row.current.value)
    if row.suppressed:
        notes.append(SUPPRESSED_NOTE)
    cells = [row.label, row.metric, UNITS[row.unit], current]
    if compare:
        baseline = row.baseline
        hidden = baseline is not None and baseline.suppressed
        cells.append("" if hidden or baseline is None else _number(baseline.value))
        if hidden:
            notes.append(f"前3か月平均は{SUPPRESSED_NOTE}")
        ratio = row.change_ratio
        cells += [_number(row.change), "" if ratio is None else f"{100 * ratio:.1f}"]
    else:
        cells += ["", "", ""]
    return [*cells, "／".join(notes)]


def table_csv(table: Table) -> str:
    """One table as CSV text (with the BOM)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in table.rows:
        writer.writerow(_row(row, table.compare))
    return BOM + out.getvalue()


def report_csvs(report: Report) -> dict[str, str]:
    """File name → CSV text, one per table."""
    return {f"madoguchi-report-{report.key}-{table.name}.csv": table_csv(table) for table in report.tables}


def write_csvs(report: Report, directory: Path) -> list[Path]:
    """Write every table's CSV into `directory`; returns the paths."""
    paths = []
    for name, text in report_csvs(report).items():
        path = directory / name
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths
