"""letters sent outside the platform (status 'recorded'); the BODACC publication of an insolvency hold

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

A letter the debtor received before the case came to the platform is recorded with its date, deadline
and amounts but no document: it counts for the order of letters. An insolvency hold keeps the date of
the opening judgment (`reference_date`, from which interest stops) and, apart, the BODACC publication
(from which the claim is declared within 2 months). Holds recorded before this revision had their
BODACC date in `reference_date`: it is copied to the new column and stays the best known judgment date.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

STATUSES_BEFORE = ('pending_approval', 'issued', 'rejected', 'cancelled')
STATUSES = ('pending_approval', 'issued', 'recorded', 'rejected', 'cancelled')


def _in(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.add_column('hold', sa.Column('bodacc_published_on', sa.Date(), nullable=True))
    op.execute("UPDATE hold SET bodacc_published_on = reference_date WHERE kind = 'insolvency'")
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_letter_status_allowed'), type_='check')
        batch_op.create_check_constraint('status_allowed', _in(STATUSES))


def downgrade():
    op.execute("UPDATE letter SET status = 'cancelled' WHERE status = 'recorded'")
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_letter_status_allowed'), type_='check')
        batch_op.create_check_constraint('status_allowed', _in(STATUSES_BEFORE))
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.drop_column('bodacc_published_on')
