"""Booking persistence: consultation types, slot rules, slots, bookings and waitlist entries.

Invariants held by the database, not by counters:
- a slot's occupancy is the number of its bookings with a seat (`seat_no` is NULL once cancelled or expired);
- unique (slot_id, seat_no): two bookings can never share a seat, and seats are numbered 1..capacity;
- unique (slot_id, user_id) among seated bookings: one person, one seat per slot (double taps);
- unique (type_id, starts_at) for slots: generating slots from rules twice creates nothing new.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.platform.db import Base, utcnow
from bot.platform.models import LineUser

SEATED = ("held", "confirmed", "attended", "no_show")  # statuses that occupy a seat
OPEN = ("held", "confirmed")  # statuses the resident can still act on


class ConsultationType(Base):
    """A kind of consultation with its staff-editable booking rules."""

    __tablename__ = "consultation_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(20))  # button label (LINE: at most 20 characters)
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(default=60)
    place: Mapped[str] = mapped_column(String(10), default="centre")  # centre | online | phone
    place_detail: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(default=1)
    buffer_minutes: Mapped[int] = mapped_column(default=15)
    window_days: Mapped[int | None]  # None: the booking.window_days setting
    cutoff_business_days: Mapped[int] = mapped_column(default=1)
    cutoff_time: Mapped[str] = mapped_column(String(5), default="17:00")
    cancel_business_days: Mapped[int] = mapped_column(default=1)
    ask_text: Mapped[str] = mapped_column(Text, default="")
    bring_text: Mapped[str] = mapped_column(Text, default="")
    ical_token: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rules: Mapped[list[SlotRule]] = relationship(back_populates="type", cascade="all, delete-orphan")


class SlotRule(Base):
    """A recurrence: weekly on some weekdays, or the nth weekday of each month; times as a range or a list."""

    __tablename__ = "slot_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("consultation_types.id", ondelete="CASCADE"), index=True)
    weekdays: Mapped[list] = mapped_column(JSON)  # 0 = Monday … 6 = Sunday
    nth: Mapped[int | None]  # None: every week; 1..5: nth weekday of the month; -1: the last one
    times: Mapped[list] = mapped_column(JSON, default=list)  # explicit start times "HH:MM"
    start_time: Mapped[str | None] = mapped_column(String(5))  # or a range, stepped by duration + buffer
    end_time: Mapped[str | None] = mapped_column(String(5))
    capacity: Mapped[int | None]  # None: the type's capacity
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    skip_holidays: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)

    type: Mapped[ConsultationType] = relationship(back_populates="rules")


class Slot(Base):
    """A bookable time; occupancy is derived from its seated bookings, never stored."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("type_id", "starts_at", name="uq_slots_type_start"),
        Index("ix_slots_starts_at", "starts_at"),
        CheckConstraint("capacity >= 0", name="ck_slots_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("consultation_types.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed | removed
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("slot_rules.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    type: Mapped[ConsultationType] = relationship()


class Booking(Base):
    """A resident's booking: held → confirmed → cancelled / attended / no_show (or held → expired)."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("slot_id", "seat_no", name="uq_bookings_slot_seat"),
        CheckConstraint("seat_no IS NULL OR seat_no >= 1", name="ck_bookings_seat"),
        Index(
            "uq_bookings_slot_user_seated",
            "slot_id",
            "user_id",
            unique=True,
            sqlite_where=text("seat_no IS NOT NULL"),
            postgresql_where=text("seat_no IS NOT NULL"),
        ),
        Index("ix_bookings_user_status", "user_id", "status"),
        Index("ix_bookings_status_hold", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("line_users.id", ondelete="CASCADE"))
    seat_no: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(12), default="held")
    hold_expires_at: Mapped[datetime | None]
    organisation: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    reschedule_of: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(10))  # user | staff | system
    reminded_day_before_at: Mapped[datetime | None]
    reminded_2h_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    slot: Mapped[Slot] = relationship()
    user: Mapped[LineUser] = relationship()


class WaitlistEntry(Base):
    """A resident waiting for a seat in a full slot: waiting → offered → accepted / expired (or cancelled)."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index(
            "uq_waitlist_slot_user_live",
            "slot_id",
            "user_id",
            unique=True,
            sqlite_where=text("status IN ('waiting', 'offered')"),
            postgresql_where=text("status IN ('waiting', 'offered')"),
        ),
        Index("ix_waitlist_slot_status", "slot_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("line_users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    offered_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]

    slot: Mapped[Slot] = relationship()
    user: Mapped[LineUser] = relationship()
