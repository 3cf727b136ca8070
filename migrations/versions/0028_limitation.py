"""claims' limitation dates: the table `claim_limitation` and the alert kind `limitation`

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07

Each claim's limitation date (2 years B2C, 5 years B2B from its due date, restarted by the debtor's
acknowledgements and judicial acts, suspended by the acceptance of small claims) is computed by the daily
limitation job into `claim_limitation`; alerts fire 90 and 30 days before it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("promise_broken", "funds_aged", "dispute_opened", "large_payment", "import_failed",
                "pool_unattended", "judicial_deadline", "insolvency_claim")
KINDS = KINDS_BEFORE + ("limitation",)


def _kinds(values):
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table('claim_limitation',
    sa.Column('claim_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('period_years', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('event_kind', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('suspended_days', sa.Integer(), nullable=False),
    sa.Column('suspended_since', sa.Date(), nullable=True),
    sa.Column('limitation_on', sa.Date(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('period_years > 0', name=op.f('ck_claim_limitation_period_positive')),
    sa.CheckConstraint('suspended_days >= 0', name=op.f('ck_claim_limitation_suspension_not_negative')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'],
                            name='fk_claim_limitation_case_client'),
    sa.ForeignKeyConstraint(['claim_id', 'case_id'], ['claim.id', 'claim.case_id'],
                            name='fk_claim_limitation_claim_case'),
    sa.PrimaryKeyConstraint('claim_id', name=op.f('pk_claim_limitation'))
    )
    with op.batch_alter_table('claim_limitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_limitation_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_claim_limitation_on', ['limitation_on'], unique=False)
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS))


def downgrade():
    op.execute("DELETE FROM alert WHERE kind = 'limitation'")
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS_BEFORE))
    with op.batch_alter_table('claim_limitation', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_limitation_on')
        batch_op.drop_index(batch_op.f('ix_claim_limitation_case_id'))
    op.drop_table('claim_limitation')
