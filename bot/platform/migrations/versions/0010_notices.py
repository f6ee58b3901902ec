"""notices: residents' opt-in subscriptions, staff's notices and their multicast batches and recipients

Revision ID: 0010_notices
Revises: 0009_monthly_reports
Create Date: 2026-12-05 14:00:00
"""

import sqlalchemy as sa
from alembic import op

import bot.platform.db

revision = "0010_notices"
down_revision = "0009_monthly_reports"
branch_labels = None
depends_on = None

UTC = bot.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notice_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("ward", sa.String(length=20), nullable=True),
        sa.Column("consented_at", UTC, nullable=True),
        sa.Column("stopped_at", UTC, nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["line_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(length=1000), nullable=True),
        sa.Column("link_url", sa.String(length=1000), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("wards", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("scheduled_at", UTC, nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("optouts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "notice_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("retry_key", sa.String(length=36), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("claimed_until", UTC, nullable=True),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("retry_key"),
    )
    op.create_index("ix_notice_batches_status", "notice_batches", ["status"])
    op.create_table(
        "notice_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["batch_id"], ["notice_batches.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["line_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "user_id"),
    )
    op.create_index("ix_notice_recipients_user", "notice_recipients", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_notice_recipients_user", table_name="notice_recipients")
    op.drop_table("notice_recipients")
    op.drop_index("ix_notice_batches_status", table_name="notice_batches")
    op.drop_table("notice_batches")
    op.drop_table("notices")
    op.drop_table("notice_subscriptions")
