"""closing many cases at once: the batch a manager asks for and its job closes

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('closing_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('case_ids', sa.JSON(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('closed_count', sa.Integer(), nullable=False),
    sa.Column('written_off_cents', sa.BigInteger(), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_closing_batch_status_allowed')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_closing_batch_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['reason_code'], ['closing_reason.code'], name=op.f('fk_closing_batch_reason_code_closing_reason')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closing_batch'))
    )


def downgrade():
    op.drop_table('closing_batch')
