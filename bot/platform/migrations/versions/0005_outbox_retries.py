"""reliable sending: outbox claim lease, backoff schedule and unsettled reply attempts

Revision ID: 0005_outbox_retries
Revises: 0001
Create Date: 2026-11-26 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import bot.platform.db

revision = "0005_outbox_retries"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = bot.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", UTC, nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("reply_unsettled", sa.Integer(), nullable=False, server_default="0"))
    # The old code marked an item "sending" while it was sent; a claim is now a lease on a pending item.
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("reply_unsettled")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("claimed_until")
