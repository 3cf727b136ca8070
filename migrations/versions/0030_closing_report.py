"""closing reports: what the client is returned when a case closes (its figures, its stored PDF)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06

One row per closing told to the client (`key`: the closing, or the day a case was paid in full), so that
a job run twice produces one report.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('closing_report',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('closing_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('pdf_path', sa.String(length=255), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('produced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_closing_report_case_client'),
    sa.ForeignKeyConstraint(['closing_id'], ['case_closing.id'], name=op.f('fk_closing_report_closing_id_case_closing')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closing_report')),
    sa.UniqueConstraint('key', name=op.f('uq_closing_report_key')),
    sa.UniqueConstraint('reference', name=op.f('uq_closing_report_reference'))
    )
    with op.batch_alter_table('closing_report', schema=None) as batch_op:
        batch_op.create_index('ix_closing_report_client_closed', ['client_id', 'closed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_closing_report_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('closing_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closing_report_case_id'))
        batch_op.drop_index('ix_closing_report_client_closed')
    op.drop_table('closing_report')
