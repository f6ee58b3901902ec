"""Bounded values from admin requests: ids in URLs, dates and whole numbers. A value no database column can hold
is a clear 400 (or a form error), never an overflow deep in a query (a 500)."""

from __future__ import annotations

from datetime import date

from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # the largest BIGINT; ids are far smaller, but a URL may say anything
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # the dates the admin can be asked about
MAX_SMALL = 100_000  # capacities, minutes, days: comfortably inside a 32-bit INTEGER column


class BadInput(BadRequest):
    """A request value out of range; its description (Japanese) is shown on the error page."""


class IdConverter(IntegerConverter):
    """`<int:…>` in admin URLs: a positive id that fits a BIGINT (anything larger does not match: 404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def day(value: str | None, default: date | None = None) -> date | None:
    """A date from a form or query value: unreadable or empty gives `default`; out of range is a 400."""
    try:
        parsed = date.fromisoformat(value or "")
    except ValueError:
        return default
    if not EARLIEST <= parsed <= LATEST:
        raise BadInput(f"日付は{EARLIEST.isoformat()}から{LATEST.isoformat()}のあいだで指定してください。")
    return parsed


def whole(value: str | int | None, low: int = 0, high: int = MAX_SMALL) -> int | None:
    """A whole number within [low, high], else None (the caller shows its form error)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def identifier(value: str | None) -> int | None:
    """An optional id from a query value: None when absent or unusable, a 400 when it cannot be an id."""
    if value in (None, ""):
        return None
    number = whole(value, 1, MAX_ID)
    if number is None:
        raise BadInput("番号の指定が正しくありません。")
    return number
