"""the card provider's fee the client bears as a line of the remittance statement: line kind `card_fee`

Revision ID: 0055
Revises: 0051
Create Date: 2026-12-06

Where a mandate puts the card provider's fee on the client, the statement deducts it: a negative trust
movement naming the payment, one per payment (the existing unique index on payment and kind).
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0055'
down_revision = '0051'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("payment", "reversal", "fixed_fee", "recall_fee")
KINDS = KINDS_BEFORE + ("card_fee",)


def _kinds(values):
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('remittance_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_remittance_line_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS))


def downgrade():
    # Statements are final: a card fee already issued is not deleted to fit the older schema.
    issued = op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM remittance_line WHERE kind = 'card_fee'"))
    if issued:
        raise RuntimeError(f"{issued} card fee line(s) are in issued statements: the schema before 0055 "
                           "cannot hold them")
    with op.batch_alter_table('remittance_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_remittance_line_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS_BEFORE))
