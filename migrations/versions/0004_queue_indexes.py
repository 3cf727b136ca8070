"""queue: the indexes behind "Next" (a collector's cases and a team's pool, in score order)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

QUEUED = "next_action_at IS NOT NULL AND status IN ('new', 'active', 'promise', 'plan')"
POOL = f"{QUEUED} AND assigned_collector_id IS NULL"


def upgrade():
    with op.batch_alter_table('collection_case', schema=None) as batch_op:
        batch_op.create_index(
            'ix_case_queue_collector',
            ['assigned_collector_id', sa.text('queue_score DESC'), 'next_action_at', 'id'],
            unique=False,
            postgresql_where=sa.text(QUEUED),
            sqlite_where=sa.text(QUEUED),
        )
        batch_op.create_index(
            'ix_case_queue_pool',
            ['team_id', sa.text('queue_score DESC'), 'next_action_at', 'id'],
            unique=False,
            postgresql_where=sa.text(POOL),
            sqlite_where=sa.text(POOL),
        )


def downgrade():
    with op.batch_alter_table('collection_case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_queue_pool')
        batch_op.drop_index('ix_case_queue_collector')
