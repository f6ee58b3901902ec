"""monthly reports: the stored PDF and CSV files of each month's consultation report

Revision ID: 0009_monthly_reports
Revises: 0008_faq_registers
Create Date: 2026-12-05 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import bot.platform.db

revision = "0009_monthly_reports"
down_revision = "0008_faq_registers"
branch_labels = None
depends_on = None

UTC = bot.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "monthly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("csvs", sa.JSON(), nullable=False),
        sa.Column("generated_at", UTC, nullable=False),
        sa.Column("generated_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month"),
    )


def downgrade() -> None:
    op.drop_table("monthly_reports")
