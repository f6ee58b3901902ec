"""conversations: the flood throttle's record on the conversation row (no query of its own per event)

The throttle counted the resident's messages in its window with a query of the transcript on every event. The
conversation row, which every event locks and most events update anyway, now carries what it needs: when the
latest counted messages came (epoch seconds, at most the limit) and when the resident was last asked to slow down.
Rows start empty: for at most one window after the upgrade, messages sent before it are not counted.

Revision ID: 0012_conversation_throttle
Revises: 0011_unanswered_answer_given
Create Date: 2026-12-05 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import bot.platform.db

revision = "0012_conversation_throttle"
down_revision = "0011_unanswered_answer_given"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("throttle_times", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("throttle_notice_at", bot.platform.db.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("throttle_notice_at")
        batch_op.drop_column("throttle_times")
