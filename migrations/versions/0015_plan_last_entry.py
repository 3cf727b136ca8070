"""payment plans: the case's last ledger entry when the plan was agreed, so only later payments pay instalments

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

A plan's balance is the case's ledger up to that entry: the payments it holds are already deducted
from the plan's total, and neither they nor their reversals may pay an instalment. Plans agreed before
this revision get the case's last entry created up to the plan's creation.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('payment_plan', sa.Column(
        'last_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
    op.execute(
        "UPDATE payment_plan SET last_entry_id = (SELECT max(e.id) FROM ledger_entry e"
        " WHERE e.case_id = payment_plan.case_id AND e.created_at <= payment_plan.created_at)"
    )


def downgrade():
    with op.batch_alter_table('payment_plan', schema=None) as batch_op:
        batch_op.drop_column('last_entry_id')
