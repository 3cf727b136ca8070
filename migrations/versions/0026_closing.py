"""closing cases: the reasons (built-in ones seeded, the agency adds its own) and each closing of a case

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06

A closing is proposed, confirmed (the balance written off by one ledger entry, linked here) or refused,
and perhaps reopened (a reversal entry takes the write-off back).
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# (code, label, evidence required, automatic): the reasons of the issue; labels are translated by code.
REASONS = [
    ('paid_in_full', 'Payé intégralement', False, True),
    ('settled', 'Transaction exécutée', False, True),
    ('insolvent_no_assets', 'Insolvable sans actif', True, False),
    ('unfindable', 'Débiteur introuvable', True, False),
    ('deceased_no_estate', 'Décédé sans succession', True, False),
    ('limitation', 'Prescription acquise', False, False),
    ('dispute_upheld', 'Contestation fondée', True, False),
    ('recalled', 'Retiré par le client', False, True),
    ('insolvency_filed', 'Créance déclarée, transmise au mandataire', False, False),
    ('judicial_lawyer', 'Phase judiciaire confiée à un avocat', False, False),
    ('below_minimum', 'Sous le minimum du mandat', False, False),
]


def upgrade():
    op.create_table('closing_reason',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('evidence_required', sa.Boolean(), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closing_reason')),
    sa.UniqueConstraint('code', name=op.f('uq_closing_reason_code'))
    )
    op.create_table('case_closing',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('written_off_cents', sa.BigInteger(), nullable=False),
    sa.Column('write_off_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status_before', sa.String(length=12), nullable=False),
    sa.Column('reopened_by_id', sa.Integer(), nullable=True),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'rejected', 'closed', 'reopened')", name=op.f('ck_case_closing_status_allowed')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_case_closing_case_client'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_case_closing_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'], name=op.f('fk_case_closing_proposed_by_id_user_account')),
    sa.ForeignKeyConstraint(['reason_code'], ['closing_reason.code'], name=op.f('fk_case_closing_reason_code_closing_reason')),
    sa.ForeignKeyConstraint(['reopened_by_id'], ['user_account.id'], name=op.f('fk_case_closing_reopened_by_id_user_account')),
    sa.ForeignKeyConstraint(['write_off_entry_id'], ['ledger_entry.id'], name=op.f('fk_case_closing_write_off_entry_id_ledger_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_closing'))
    )
    with op.batch_alter_table('case_closing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_closing_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_closing_status', ['status', 'client_id'], unique=False)

    reasons = sa.table('closing_reason', sa.column('code', sa.String), sa.column('label', sa.String),
                       sa.column('evidence_required', sa.Boolean), sa.column('automatic', sa.Boolean),
                       sa.column('builtin', sa.Boolean), sa.column('active', sa.Boolean),
                       sa.column('created_at', sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(reasons, [{'code': code, 'label': label, 'evidence_required': evidence, 'automatic': automatic,
                              'builtin': True, 'active': True, 'created_at': now}
                             for code, label, evidence, automatic in REASONS])



def downgrade():
    with op.batch_alter_table('case_closing', schema=None) as batch_op:
        batch_op.drop_index('ix_case_closing_status')
        batch_op.drop_index(batch_op.f('ix_case_closing_case_id'))

    op.drop_table('case_closing')
    op.drop_table('closing_reason')
