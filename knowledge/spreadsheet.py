"""CSV cells that spreadsheet programs cannot run: every CSV the admin writes goes through `csv_writer`.

Imports nothing of the project (like `db`), so knowledge's import/export may use it as well as the admin.
A text cell starting with = + - @ tab or CR is read by Excel as a formula (`=HYPERLINK(…)` typed by a resident
would become a live link); such cells get a leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

_FORMULA = re.compile(r"'*[=+\-@\t\r]")  # with leading apostrophes too, so `restore_cell` undoes exactly this


def safe_cell(value: Any) -> Any:
    """The cell as written: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The text that `safe_cell` protected (for importing a CSV the admin exported)."""
    return value[1:] if value.startswith("'") and _FORMULA.match(value, 1) else value


class SafeWriter:
    """A csv.writer whose text cells are neutralised by `safe_cell`."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row."""
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row."""
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs) -> SafeWriter:
    """csv.writer(out, **kwargs) with formula cells neutralised."""
    return SafeWriter(out, **kwargs)
