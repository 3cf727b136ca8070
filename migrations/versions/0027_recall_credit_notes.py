"""the client's recall of a case, its credit notes, its decision after an upheld dispute; the mandate's recall terms

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06

A recall closes the case with reason `recalled` once the mandate's notice has run and records the mandate's
recall fee; a credit note is a `credit_note` ledger entry on one invoice, recorded here with its reference
(a case left with nothing closes with the new built-in reason `credit_note`); an upheld dispute waits for
the client's `client_decision`.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recall_fee_cents', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('recall_notice_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint('recall_fee_non_negative', 'recall_fee_cents >= 0')
        batch_op.create_check_constraint('recall_notice_range', 'recall_notice_days BETWEEN 0 AND 365')

    op.create_table('case_recall',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('fee_cents', sa.BigInteger(), nullable=False),
    sa.Column('fee_vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('judicial_confirmed', sa.Boolean(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closing_id', BIG_ID, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'closed')", name=op.f('ck_case_recall_status_allowed')),
    sa.CheckConstraint('fee_cents >= 0 AND fee_vat_cents >= 0', name=op.f('ck_case_recall_fee_non_negative')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'],
                            name='fk_case_recall_case_client'),
    sa.ForeignKeyConstraint(['closing_id'], ['case_closing.id'], name=op.f('fk_case_recall_closing_id_case_closing')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'],
                            name=op.f('fk_case_recall_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_recall'))
    )
    with op.batch_alter_table('case_recall', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_recall_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_recall_due', ['status', 'effective_on'], unique=False)

    op.create_table('credit_note',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('received_via', sa.String(length=8), nullable=False),
    sa.Column('entry_id', BIG_ID, nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_credit_note_amount_positive')),
    sa.CheckConstraint("received_via IN ('portal', 'staff')", name=op.f('ck_credit_note_received_via_allowed')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'],
                            name='fk_credit_note_case_client'),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_credit_note_claim_id_claim')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entry.id'], name=op.f('fk_credit_note_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'],
                            name=op.f('fk_credit_note_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note'))
    )
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_case_id'), ['case_id'], unique=False)

    op.create_table('client_decision',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'credit_note', 'withdrawn', 'maintained')",
                       name=op.f('ck_client_decision_status_allowed')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'],
                            name='fk_client_decision_case_client'),
    sa.ForeignKeyConstraint(['hold_id'], ['hold.id'], name=op.f('fk_client_decision_hold_id_hold')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'],
                            name=op.f('fk_client_decision_answered_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_decision'))
    )
    with op.batch_alter_table('client_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_decision_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_client_decision_waiting', ['client_id', 'status'], unique=False)

    reasons = sa.table('closing_reason', sa.column('code', sa.String), sa.column('label', sa.String),
                       sa.column('evidence_required', sa.Boolean), sa.column('automatic', sa.Boolean),
                       sa.column('builtin', sa.Boolean), sa.column('active', sa.Boolean),
                       sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(reasons, [{'code': 'credit_note', 'label': "Soldé par un avoir du client", 'evidence_required': False,
                              'automatic': True, 'builtin': True, 'active': True,
                              'created_at': datetime.now(timezone.utc)}])


def downgrade():
    op.execute("DELETE FROM closing_reason WHERE code = 'credit_note'")
    op.drop_table('client_decision')
    op.drop_table('credit_note')
    op.drop_table('case_recall')
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mandate_recall_notice_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_mandate_recall_fee_non_negative'), type_='check')
        batch_op.drop_column('recall_notice_days')
        batch_op.drop_column('recall_fee_cents')
