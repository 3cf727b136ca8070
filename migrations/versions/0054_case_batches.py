"""case batches: an action asked for a selection of cases from the list, and what it did to each case

Revision ID: 0054
Revises: 0056
Create Date: 2026-12-06

The batch keeps who asked, the action and its choices, the selection (ticked ids, or the list's filter the job
runs again), its counts and status, an export's CSV; an item per case processed (done, skipped with its reason, failed), written
with the change, so that a rerun of the job never acts twice on a case.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0054'
down_revision = '0056'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=True),
    sa.Column('case_ids', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('file_path', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_case_batch_status_allowed')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_case_batch_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_batch'))
    )
    op.create_table('case_batch_item',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('done', 'skipped', 'failed')", name=op.f('ck_case_batch_item_outcome_allowed')),
    sa.ForeignKeyConstraint(['batch_id'], ['case_batch.id'], name=op.f('fk_case_batch_item_batch_id_case_batch')),
    sa.ForeignKeyConstraint(['case_id'], ['collection_case.id'], name=op.f('fk_case_batch_item_case_id_collection_case')),
    sa.PrimaryKeyConstraint('batch_id', 'case_id', name=op.f('pk_case_batch_item'))
    )
    with op.batch_alter_table('case_batch_item', schema=None) as batch_op:
        batch_op.create_index('ix_case_batch_item_outcome', ['batch_id', 'outcome'], unique=False)


def downgrade():
    with op.batch_alter_table('case_batch_item', schema=None) as batch_op:
        batch_op.drop_index('ix_case_batch_item_outcome')

    op.drop_table('case_batch_item')
    op.drop_table('case_batch')
