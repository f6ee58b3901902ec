"""Report cells and tables: every figure carries how many residents it counts, so small cells are suppressed."""

from __future__ import annotations

from dataclasses import dataclass, field

MIN_RESIDENTS = 5
SUPPRESSED = "5未満"
SUPPRESSED_NOTE = "5人未満のため非表示"
UNITS = {"count": "件", "people": "人", "percent": "%", "minutes": "分"}


@dataclass(frozen=True)
class Cell:
    """A figure and the number of residents behind it (None when unknown: then the figure itself bounds it)."""

    value: float | int | None
    residents: int | None = None

    @property
    def suppressed(self) -> bool:
        """Fewer than five residents behind a non-zero figure (a zero counts nobody and is shown)."""
        if self.value is None or self.value == 0:
            return False
        people = self.residents if self.residents is not None else self.value
        return people < MIN_RESIDENTS


@dataclass(frozen=True)
class Row:
    """One figure of a table: the month, the average of the previous three months, and the change."""

    label: str
    metric: str
    unit: str
    current: Cell
    baseline: Cell | None = None  # None: no comparison (e.g. themes, which differ month to month)

    @property
    def suppressed(self) -> bool:
        """The month's figure is hidden."""
        return self.current.suppressed

    @property
    def change(self) -> float | None:
        """Month minus the baseline (percentage points for rates); None when either side is hidden or missing."""
        if self.baseline is None or self.current.value is None or self.baseline.value is None:
            return None
        if self.current.suppressed or self.baseline.suppressed:
            return None
        return self.current.value - self.baseline.value

    @property
    def change_ratio(self) -> float | None:
        """Relative change against the baseline (not for rates; None when the baseline is zero)."""
        change = self.change
        if change is None or self.unit == "percent" or not self.baseline or not self.baseline.value:
            return None
        return change / self.baseline.value


@dataclass
class Table:
    """A titled table of rows; `name` is its CSV file name."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    note: str = ""
    compare: bool = True  # rows have a baseline column


def average(cells: list[Cell]) -> Cell:
    """The mean of the previous months' cells; hidden when any of them was hidden (earlier reports show them,
    so an average over a hidden month would let a reader subtract its way to it)."""
    values = [c.value for c in cells if c.value is not None]
    if not values:
        return Cell(None)
    if any(c.suppressed for c in cells):
        return Cell(sum(values) / len(values), 0)
    return Cell(round(sum(values) / len(values), 1), MIN_RESIDENTS)


def rate(part: Cell, whole: Cell) -> Cell:
    """part / whole as a percentage, hidden when the part is (a rate and its total give the part away)."""
    if not whole.value:
        return Cell(None)
    value = round(100 * (part.value or 0) / whole.value, 1)
    if part.suppressed or whole.suppressed:
        return Cell(value, 0)
    return Cell(value, None if not part.value else MIN_RESIDENTS)


def protect(total: Cell, parts: list[Cell]) -> Cell:
    """The total, hidden when any part is (shown beside the other parts, it would give the hidden one away)."""
    if any(p.suppressed for p in parts) and not total.suppressed and total.value:
        return Cell(total.value, 0)
    return total


def fmt_number(value: float | int | None) -> str:
    """A figure as printed: integers plain, others with one decimal."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"
