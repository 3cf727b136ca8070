"""alerts before a judicial deadline: the new alert kind `judicial_deadline`

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

Each open proceeding's next deadline (order to serve, opposition window, debtor's answer, title's life)
fires an alert at the days the `alert_days` figure gives (30, 7 and 1 day before, seeded by 0020).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("promise_broken", "funds_aged", "dispute_opened", "large_payment", "import_failed",
                "pool_unattended")
KINDS = KINDS_BEFORE + ("judicial_deadline",)


def _kinds(values):
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS))


def downgrade():
    op.execute("DELETE FROM alert WHERE kind = 'judicial_deadline'")
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS_BEFORE))
