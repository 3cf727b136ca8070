"""the job outbox: follow-up work written in the same transaction as the change that needs it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

A committed change always gets its follow-up job: the job is a row of `job_outbox`, committed with
the change, pushed to Redis after the commit and again by a sweep when Redis was away; the job marks
its row done in its own transaction.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
PENDING = "done_at IS NULL AND failed_at IS NULL"


def upgrade():
    op.create_table(
        'job_outbox',
        sa.Column('id', BigId, primary_key=True),
        sa.Column('func', sa.String(200), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('kwargs', sa.JSON(), nullable=False),
        sa.Column('job_id', sa.String(128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('relays', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('relayed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox')),
    )
    op.create_index('ix_job_outbox_pending', 'job_outbox', ['created_at'],
                    postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))
    op.create_index('ix_job_outbox_job_id', 'job_outbox', ['job_id'])


def downgrade():
    op.drop_index('ix_job_outbox_job_id', table_name='job_outbox')
    op.drop_index('ix_job_outbox_pending', table_name='job_outbox')
    op.drop_table('job_outbox')
