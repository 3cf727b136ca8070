"""reports: the dashboard's figures pre-aggregated per client, placement, collector and opening day

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COUNTS = ('opened', 'paid', 'plan', 'dispute', 'hold', 'closed', 'attempts', 'calls', 'right_party', 'promises',
          'kept', 'resolved')


def upgrade():
    op.create_table('report_refresh',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_refresh'))
    )
    op.create_table('report_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=True),
    sa.Column('collector_id', sa.Integer(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('placed', sa.BigInteger(), nullable=False),
    sa.Column('collected', sa.BigInteger(), nullable=False),
    sa.Column('written_off', sa.BigInteger(), nullable=False),
    sa.Column('outstanding', sa.BigInteger(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_group'))
    )
    op.create_index('ix_report_group_opened_client', 'report_group', ['opened_on', 'client_id'], unique=False)
    op.create_table('report_group_curve',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('month_offset', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['report_group.id'], name=op.f('fk_report_group_curve_group_id_report_group'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'month_offset', name=op.f('pk_report_group_curve'))
    )
    op.create_table('report_group_days',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['report_group.id'], name=op.f('fk_report_group_days_group_id_report_group'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'days', name=op.f('pk_report_group_days'))
    )
    op.create_table('report_group_credit',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('payments', sa.Integer(), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['report_group.id'],
                            name=op.f('fk_report_group_credit_group_id_report_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'channel', 'step', name=op.f('pk_report_group_credit'))
    )


def downgrade():
    op.drop_table('report_group_credit')
    op.drop_table('report_group_days')
    op.drop_table('report_group_curve')
    op.drop_index('ix_report_group_opened_client', table_name='report_group')
    op.drop_table('report_group')
    op.drop_table('report_refresh')
