"""three registers on FAQ entries: English question, やさしい日本語 and English answers, a review-by date

Also the point where the branches that grew from 0001 (booking, admin and its session version, hand-off, outbox)
meet, so the history has one head again: the next migration revises this one.

Revision ID: 0008_faq_registers
Revises: 0002_booking, 0004_handoff, 0005_outbox_retries, 0007_admin_session_version
Create Date: 2026-12-06 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_faq_registers"
down_revision = ("0002_booking", "0004_handoff", "0005_outbox_retries", "0007_admin_session_version")
branch_labels = None
depends_on = None

TEXTS = ("question_en", "answer_easy", "answer_en")


def upgrade() -> None:
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        for name in TEXTS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("review_by", sa.Date(), nullable=True))
    # Existing rows keep empty registers: `madoguchi db upgrade` then refreshes entries staff never edited from the
    # shipped files; staff-edited entries are served in Japanese with a note until staff add the other registers.


def downgrade() -> None:
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.drop_column("review_by")
        for name in reversed(TEXTS):
            batch_op.drop_column(name)
