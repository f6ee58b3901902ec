"""unanswered inbox: the answer that was given (entry and register) and the rephrase that followed it

Confident answers that missed reach staff's inbox too: a card the resident rated 「役に立たなかった」, or one the
resident answered by asking the same question again. Those rows keep the entry the bot answered with, the register
it was shown in (ja / easy / en) and, for a rephrase, the resident's next message (masked).

Revision ID: 0011_unanswered_answer_given
Revises: 0010_notices
Create Date: 2026-12-05 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_unanswered_answer_given"
down_revision = "0010_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_faq_id", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("answer_register", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("rephrase", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.drop_column("rephrase")
        batch_op.drop_column("answer_register")
        batch_op.drop_column("answer_faq_id")
