"""insolvency claims: the declaration of a case's claim to the mandataire judiciaire, and its fate

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

One row per case and insolvency hold: the amounts as of the opening judgment per invoice (kept as they
were declared), the filing deadline, the stored PDF, the filing and the outcome (admitted, disputed,
rejected, dividend).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('insolvency_claim',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=False),
    sa.Column('judgment_on', sa.Date(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('deadline_on', sa.Date(), nullable=True),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('due_cents', sa.BigInteger(), nullable=False),
    sa.Column('not_due_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('interest_note', sa.Text(), nullable=False),
    sa.Column('securities', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('filed_note', sa.Text(), nullable=False),
    sa.Column('outcome_on', sa.Date(), nullable=True),
    sa.Column('admitted_cents', sa.BigInteger(), nullable=True),
    sa.Column('dividend_cents', sa.BigInteger(), nullable=False),
    sa.Column('outcome_note', sa.Text(), nullable=False),
    sa.Column('file_path', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('prepared', 'filed', 'admitted', 'partly_admitted', 'disputed', 'rejected', 'dividend_paid')", name=op.f('ck_insolvency_claim_status_allowed')),
    sa.CheckConstraint('due_cents >= 0 AND not_due_cents >= 0', name=op.f('ck_insolvency_claim_amounts')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_insolvency_claim_case_client'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_insolvency_claim_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['hold_id'], ['hold.id'], name=op.f('fk_insolvency_claim_hold_id_hold')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insolvency_claim')),
    sa.UniqueConstraint('case_id', 'hold_id', name='uq_insolvency_claim_case_hold'),
    sa.UniqueConstraint('reference', name=op.f('uq_insolvency_claim_reference'))
    )
    with op.batch_alter_table('insolvency_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insolvency_claim_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_insolvency_claim_deadline', ['deadline_on'], unique=False)



def downgrade():
    with op.batch_alter_table('insolvency_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_insolvency_claim_deadline')
        batch_op.drop_index(batch_op.f('ix_insolvency_claim_case_id'))

    op.drop_table('insolvency_claim')
