"""alerts before an insolvency claim's filing deadline: the new alert kind `insolvency_claim`

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

Each open case whose debtor is under insolvency proceedings and whose claim is not yet filed fires an
alert at the `alert_days` before the filing deadline (two months from the BODACC publication, four for a
client outside metropolitan France), and once when it has passed while relief can still be asked.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("promise_broken", "funds_aged", "dispute_opened", "large_payment", "import_failed",
                "pool_unattended", "judicial_deadline")
KINDS = KINDS_BEFORE + ("insolvency_claim",)


def _kinds(values):
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS))


def downgrade():
    op.execute("DELETE FROM alert WHERE kind = 'insolvency_claim'")
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS_BEFORE))
