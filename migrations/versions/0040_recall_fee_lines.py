"""the recall fee as a line of the remittance statement: line kind `recall_fee`, `remittance_line.recall_id`

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06

The fee a mandate charges for a case the client recalls is kept on `case_recall`; the client's next
statement now carries it as a line (amount 0, commission and VAT the fee), which names its recall. A
partial unique index on `recall_id` lets each recall's fee be remitted once, and a check ties the kind
to the recall: a recall fee always names its recall, no other line does.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("payment", "reversal", "fixed_fee")
KINDS = KINDS_BEFORE + ("recall_fee",)
RECALL_FEE_HAS_RECALL = ("(kind = 'recall_fee' AND recall_id IS NOT NULL) "
                         "OR (kind <> 'recall_fee' AND recall_id IS NULL)")
RECALLED = sa.text("recall_id IS NOT NULL")


def _kinds(values):
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('remittance_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recall_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_remittance_line_recall_id_case_recall'), 'case_recall',
                                    ['recall_id'], ['id'])
        batch_op.create_index('uq_remittance_line_recall_fee', ['recall_id'], unique=True,
                              postgresql_where=RECALLED, sqlite_where=RECALLED)
        batch_op.drop_constraint(op.f('ck_remittance_line_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS))
        batch_op.create_check_constraint('recall_fee_has_recall', RECALL_FEE_HAS_RECALL)


def downgrade():
    # Statements are final and their totals are the sums of their lines: a recall fee already issued is not
    # deleted to fit the older schema.
    issued = op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM remittance_line WHERE kind = 'recall_fee'"))
    if issued:
        raise RuntimeError(f"{issued} recall fee line(s) are in issued statements: the schema before 0040 "
                           "cannot hold them")
    with op.batch_alter_table('remittance_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_remittance_line_recall_fee_has_recall'), type_='check')
        batch_op.drop_constraint(op.f('ck_remittance_line_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS_BEFORE))
        batch_op.drop_index('uq_remittance_line_recall_fee', postgresql_where=RECALLED, sqlite_where=RECALLED)
        batch_op.drop_constraint(batch_op.f('fk_remittance_line_recall_id_case_recall'), type_='foreignkey')
        batch_op.drop_column('recall_id')
