"""dashboard: the cases closed unpaid per closing reason, pre-computed per figure group

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06

Filled by the figures' refresh with the other group tables (one INSERT … SELECT), replaced whole each time.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_group_closing',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('written_off', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['report_group.id'],
                            name=op.f('fk_report_group_closing_group_id_report_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'reason_code', name=op.f('pk_report_group_closing'))
    )


def downgrade():
    op.drop_table('report_group_closing')
