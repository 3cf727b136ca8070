"""plans: the mandate's minimum instalment and minimum first payment; a debtor's proposal awaiting the agency

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-08

Two mandate terms bound what the agency agrees without the client, for staff and debtors alike: the smallest
instalment and the smallest first payment (0, no minimum, for mandates signed before). A plan says who proposed
it (`origin`: staff, or the debtor from their space); a debtor's proposal beyond the limits waits in the new
status `awaiting_agency` for a collector to decline it or send it to the client.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0044'
down_revision = '0043'
branch_labels = None
depends_on = None

STATUSES = ('awaiting_agency', 'awaiting_client', 'active', 'completed', 'broken', 'refused', 'cancelled')


def _in(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_instalment_cents', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('min_first_payment_cents', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.create_check_constraint('min_instalment_non_negative', 'min_instalment_cents >= 0')
        batch_op.create_check_constraint('min_first_payment_non_negative', 'min_first_payment_cents >= 0')

    with op.batch_alter_table('payment_plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=8), nullable=False, server_default='staff'))
        batch_op.create_check_constraint('origin_allowed', "origin IN ('staff', 'debtor')")
        batch_op.drop_constraint(op.f('ck_payment_plan_status_allowed'), type_='check')
        batch_op.create_check_constraint('status_allowed', _in(STATUSES))


def downgrade():
    # A proposal still awaiting the agency has no status to go back to: it is cancelled.
    op.execute("UPDATE payment_plan SET status = 'cancelled' WHERE status = 'awaiting_agency'")
    with op.batch_alter_table('payment_plan', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_plan_status_allowed'), type_='check')
        batch_op.create_check_constraint('status_allowed', _in(STATUSES[1:]))
        batch_op.drop_constraint(op.f('ck_payment_plan_origin_allowed'), type_='check')
        batch_op.drop_column('origin')

    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mandate_min_first_payment_non_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_mandate_min_instalment_non_negative'), type_='check')
        batch_op.drop_column('min_first_payment_cents')
        batch_op.drop_column('min_instalment_cents')
