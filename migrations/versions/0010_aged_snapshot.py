"""aged balance: pre-computed per client and bucket, and per case and bucket, for one date; cases by channel

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('aged_refresh',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aged_refresh'))
    )
    op.create_table('aged_cell',
    sa.Column('client_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bucket', sa.String(length=8), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('client_id', 'bucket', name=op.f('pk_aged_cell'))
    )
    op.create_table('aged_case',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bucket', sa.String(length=8), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('oldest_due', sa.Date(), nullable=False),
    sa.Column('claims', sa.Integer(), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'bucket', name=op.f('pk_aged_case'))
    )
    with op.batch_alter_table('aged_case', schema=None) as batch_op:
        batch_op.create_index('ix_aged_case_bucket_order', ['bucket', 'oldest_due', 'reference'], unique=False)
        batch_op.create_index('ix_aged_case_client_bucket_order', ['client_id', 'bucket', 'oldest_due', 'reference'],
                              unique=False)
    op.create_table('channel_refresh',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payments', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_refresh'))
    )
    op.create_table('channel_case',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'channel', name=op.f('pk_channel_case'))
    )
    with op.batch_alter_table('channel_case', schema=None) as batch_op:
        batch_op.create_index('ix_channel_case_channel', ['channel', 'case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('channel_case', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_case_channel')
    op.drop_table('channel_case')
    op.drop_table('channel_refresh')
    with op.batch_alter_table('aged_case', schema=None) as batch_op:
        batch_op.drop_index('ix_aged_case_client_bucket_order')
        batch_op.drop_index('ix_aged_case_bucket_order')
    op.drop_table('aged_case')
    op.drop_table('aged_cell')
    op.drop_table('aged_refresh')
