"""consultation booking: types, slot rules, slots, bookings, waitlist

Revision ID: 0002_booking
Revises: 0001
Create Date: 2026-11-23 00:30:00
"""

import sqlalchemy as sa
from alembic import op

import bot.platform.db

revision = "0002_booking"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = bot.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consultation_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=10), nullable=False),
        sa.Column("place_detail", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=True),
        sa.Column("cutoff_business_days", sa.Integer(), nullable=False),
        sa.Column("cutoff_time", sa.String(length=5), nullable=False),
        sa.Column("cancel_business_days", sa.Integer(), nullable=False),
        sa.Column("ask_text", sa.Text(), nullable=False),
        sa.Column("bring_text", sa.Text(), nullable=False),
        sa.Column("ical_token", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "slot_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("nth", sa.Integer(), nullable=True),
        sa.Column("times", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=True),
        sa.Column("end_time", sa.String(length=5), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("skip_holidays", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["type_id"], ["consultation_types.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_slot_rules_type_id", "slot_rules", ["type_id"])
    op.create_table(
        "slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("capacity >= 0", name="ck_slots_capacity"),
        sa.ForeignKeyConstraint(["rule_id"], ["slot_rules.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["type_id"], ["consultation_types.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("type_id", "starts_at", name="uq_slots_type_start"),
    )
    op.create_index("ix_slots_starts_at", "slots", ["starts_at"])
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seat_no", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("hold_expires_at", UTC, nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("reschedule_of", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("confirmed_at", UTC, nullable=True),
        sa.Column("cancelled_at", UTC, nullable=True),
        sa.Column("cancelled_by", sa.String(length=10), nullable=True),
        sa.Column("reminded_day_before_at", UTC, nullable=True),
        sa.Column("reminded_2h_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("seat_no IS NULL OR seat_no >= 1", name="ck_bookings_seat"),
        sa.ForeignKeyConstraint(["reschedule_of"], ["bookings.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["line_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot_id", "seat_no", name="uq_bookings_slot_seat"),
    )
    op.create_index(
        "uq_bookings_slot_user_seated",
        "bookings",
        ["slot_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("seat_no IS NOT NULL"),
        postgresql_where=sa.text("seat_no IS NOT NULL"),
    )
    op.create_index("ix_bookings_user_status", "bookings", ["user_id", "status"])
    op.create_index("ix_bookings_status_hold", "bookings", ["status", "hold_expires_at"])
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("offered_at", UTC, nullable=True),
        sa.Column("notified_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["line_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_waitlist_slot_user_live",
        "waitlist_entries",
        ["slot_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("status IN ('waiting', 'offered')"),
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    )
    op.create_index("ix_waitlist_slot_status", "waitlist_entries", ["slot_id", "status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_waitlist_slot_status", table_name="waitlist_entries")
    op.drop_index("uq_waitlist_slot_user_live", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
    op.drop_index("ix_bookings_status_hold", table_name="bookings")
    op.drop_index("ix_bookings_user_status", table_name="bookings")
    op.drop_index("uq_bookings_slot_user_seated", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index("ix_slots_starts_at", table_name="slots")
    op.drop_table("slots")
    op.drop_index("ix_slot_rules_type_id", table_name="slot_rules")
    op.drop_table("slot_rules")
    op.drop_table("consultation_types")
