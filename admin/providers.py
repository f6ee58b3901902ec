"""Figures from other features' tables (hand-offs, bookings), read without importing their code.

One small function per table: each returns None when the table (or a column it needs) is absent, and the
dashboard then shows 「データなし」. They use lightweight table() constructs, so the admin never imports
bot.booking or bot.handoff; replace a body with the feature's own query function when it offers one.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.orm import Session

from bot.platform.db import UtcDateTime


def has_columns(session: Session, name: str, columns: tuple[str, ...]) -> bool:
    """Whether the table exists with these columns."""
    inspector = inspect(session.connection())
    if not inspector.has_table(name):
        return False
    return set(columns) <= {c["name"] for c in inspector.get_columns(name)}


@dataclass
class HandoffStats:
    """Hand-offs to a coordinator in a period: how many, why, and how long residents waited for a person."""

    total: int
    by_reason: Counter = field(default_factory=Counter)
    by_outcome: Counter = field(default_factory=Counter)
    median_wait_minutes: float | None = None
    never_taken: int = 0


HANDOFF_COLUMNS = ("id", "reason", "created_at", "assigned_at", "outcome")


def handoff_stats(session: Session, start: datetime, end: datetime) -> HandoffStats | None:
    """Hand-offs created in [start, end), or None without the hand-off table."""
    if not has_columns(session, "handoffs", HANDOFF_COLUMNS):
        return None
    t = table(
        "handoffs",
        column("reason"),
        column("outcome"),
        column("created_at", UtcDateTime()),
        column("assigned_at", UtcDateTime()),
    )
    rows = session.execute(
        select(t.c.reason, t.c.outcome, t.c.created_at, t.c.assigned_at).where(
            t.c.created_at >= start, t.c.created_at < end
        )
    ).all()
    waits = [(a - c).total_seconds() / 60 for _r, _o, c, a in rows if a is not None and c is not None]
    return HandoffStats(
        total=len(rows),
        by_reason=Counter(r for r, _o, _c, _a in rows),
        by_outcome=Counter(o for _r, o, _c, _a in rows if o),
        median_wait_minutes=round(statistics.median(waits), 1) if waits else None,
        never_taken=sum(1 for *_x, a in rows if a is None),
    )


def group_pushes(session: Session, start: datetime, end: datetime) -> int:
    """LINE group notifications sent for hand-offs (they use the push budget too); 0 without the column."""
    if not has_columns(session, "handoffs", ("created_at", "group_pushes")):
        return 0
    t = table("handoffs", column("created_at", UtcDateTime()), column("group_pushes"))
    total = session.scalar(
        select(func.coalesce(func.sum(t.c.group_pushes), 0)).where(t.c.created_at >= start, t.c.created_at < end)
    )
    return int(total or 0)


def notice_pushes(session: Session, start: datetime, end: datetime) -> int:
    """Messages notices' multicasts used in [start, end) (one per recipient); 0 without the notices' table."""
    if not has_columns(session, "notice_batches", ("status", "sent_at", "sent_count")):
        return 0
    t = table("notice_batches", column("status"), column("sent_at", UtcDateTime()), column("sent_count"))
    total = session.scalar(
        select(func.coalesce(func.sum(t.c.sent_count), 0)).where(
            t.c.status == "sent", t.c.sent_at >= start, t.c.sent_at < end
        )
    )
    return int(total or 0)


@dataclass
class BookingRow:
    """Bookings of one consultation type in a period, by status."""

    type_name: str
    booked: int = 0
    attended: int = 0
    no_show: int = 0
    cancelled: int = 0


BOOKING_DATES = ("made", "held")  # count by the day the booking was made, or by the day of the consultation


def booking_stats(session: Session, start: datetime, end: datetime, by: str = "held") -> list[BookingRow] | None:
    """Bookings per type whose consultation is held in [start, end) (by="held") or that were made then
    (by="made": confirmed, else created); None without the booking tables."""
    needed = (
        ("bookings", ("slot_id", "status", "created_at", "confirmed_at")),
        ("slots", ("id", "type_id", "starts_at")),
        ("consultation_types", ("id", "name", "sort_order")),
    )
    if not all(has_columns(session, name, cols) for name, cols in needed):
        return None
    b = table(
        "bookings",
        column("slot_id"),
        column("status"),
        column("created_at", UtcDateTime()),
        column("confirmed_at", UtcDateTime()),
    )
    s = table("slots", column("id"), column("type_id"), column("starts_at", UtcDateTime()))
    ct = table("consultation_types", column("id"), column("name"), column("sort_order"))
    when = func.coalesce(b.c.confirmed_at, b.c.created_at) if by == "made" else s.c.starts_at
    rows = session.execute(
        select(ct.c.name, b.c.status, func.count())
        .select_from(b.join(s, s.c.id == b.c.slot_id).join(ct, ct.c.id == s.c.type_id))
        .where(when >= start, when < end)
        .group_by(ct.c.name, ct.c.sort_order, b.c.status)
        .order_by(ct.c.sort_order, ct.c.name)
    ).all()
    out: dict[str, BookingRow] = {}
    for name, status, count in rows:
        row = out.setdefault(name, BookingRow(name))
        if status in ("confirmed", "attended", "no_show"):
            row.booked += count
        if status in ("attended", "no_show", "cancelled"):
            setattr(row, status, getattr(row, status) + count)
    return list(out.values())
