"""monthly reports: one stored PDF, CSV and figures per client and month

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('monthly_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('produced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pdf_path', sa.String(length=255), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('csv_text', sa.Text(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_monthly_report_client_id_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_report')),
    sa.UniqueConstraint('client_id', 'month', name=op.f('uq_monthly_report_client_id_month'))
    )
    with op.batch_alter_table('monthly_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_report_client_id'), ['client_id'], unique=False)


def downgrade():
    with op.batch_alter_table('monthly_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_report_client_id'))
    op.drop_table('monthly_report')
