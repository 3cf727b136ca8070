"""placement personal data: when a placement's file, check and report were emptied

Revision ID: 0057
Revises: 0054
Create Date: 2026-12-06

A placement's file as received, its parsed rows, its samples and its report (rejected and already-placed rows)
name debtors. Once no debtor it brought is kept (each anonymised), or, for one that brought no case, once it is
older than the retention period, the nightly retention run empties them and records when here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0057'
down_revision = '0054'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('placement', sa.Column('personal_data_removed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('placement', 'personal_data_removed_at')
