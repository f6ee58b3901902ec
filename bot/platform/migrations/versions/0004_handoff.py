"""hand-off to human coordinators: handoffs, internal notes

Revision ID: 0004_handoff
Revises: 0001
Create Date: 2026-11-23 01:00:00
"""

import sqlalchemy as sa
from alembic import op

import bot.platform.db

revision = "0004_handoff"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = bot.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("assigned_at", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("notified_at", UTC, nullable=True),
        sa.Column("escalated_at", UTC, nullable=True),
        sa.Column("oa_manager", sa.Boolean(), nullable=False),
        sa.Column("group_pushes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["line_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_handoffs_user_open",
        "handoffs",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("status != 'closed'"),
        postgresql_where=sa.text("status != 'closed'"),
    )
    op.create_index("ix_handoffs_status_created", "handoffs", ["status", "created_at"])
    op.create_table(
        "handoff_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_notes_handoff", "handoff_notes", ["handoff_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_notes_handoff", table_name="handoff_notes")
    op.drop_table("handoff_notes")
    op.drop_index("ix_handoffs_status_created", table_name="handoffs")
    op.drop_index("uq_handoffs_user_open", table_name="handoffs")
    op.drop_table("handoffs")
