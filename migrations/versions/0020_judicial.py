"""judicial escalation: the law's figures as dated data, proceedings, their steps, costs, documents, titles

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

The figures (thresholds, deadlines, fees, forms) are seeded from LEGAL-FR §7 and §9; each is a row from
the day it applies, so the decree of 16 February 2026 (orders issued from 1 September 2026 served within
3 months, not 6) is two rows of one key. Settings and steps are append-only, as the ledger is. Mandates
say whether the judicial stage is allowed, who advances its fees, and what the claims are.
"""
from datetime import date, datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

FAR_PAST = date(1900, 1, 1)
# (key, from, value, source): LEGAL-FR §7 and §9, checked December 2026. Amounts in cents.
SEED = [
    ('small_claims_max_cents', FAR_PAST, '500000', 'CPCE L125-1, R125-1'),
    ('referral_above_cents', FAR_PAST, '10000000', 'agency policy'),
    ('order_service_months', FAR_PAST, '6', 'CPC 1411'),
    ('order_service_months', date(2026, 9, 1), '3', 'décret 2026-96, orders issued from 1 Sept 2026'),
    ('opposition_months', FAR_PAST, '1', 'CPC 1416'),
    ('enforceable_months', FAR_PAST, '2', 'décret 2026-96'),
    ('small_claims_answer_months', FAR_PAST, '1', 'CPCE R125-3'),
    ('title_life_years', FAR_PAST, '10', 'CPCE L111-4'),
    ('title_increase_bp', FAR_PAST, '500', 'C. mon. fin. L313-3'),
    ('title_increase_months', FAR_PAST, '2', 'C. mon. fin. L313-3'),
    ('insolvency_filing_months', FAR_PAST, '2', 'C. com. R622-24'),
    ('fee_commercial_court_cents', FAR_PAST, '3347', 'tarif des greffes (free in Alsace-Moselle)'),
    ('fee_small_claims_filing_cents', FAR_PAST, '1492', 'arrêté tarifaire des commissaires de justice'),
    ('fee_small_claims_title_cents', FAR_PAST, '2976', 'arrêté tarifaire des commissaires de justice'),
    ('form_commercial', FAR_PAST, 'Cerfa 12946*02', 'service-public F1746'),
    ('form_judicial', FAR_PAST, 'Cerfa 12948*06', 'service-public F1746'),
    ('form_protection', FAR_PAST, 'Cerfa 16040*01', 'service-public F1746'),
    ('alert_days', FAR_PAST, '30,7,1', 'agency policy'),
]
# A figure's past values and a proceeding's steps are never edited: a change is a new row.
APPEND_ONLY = ('judicial_setting', 'judicial_step')


def _refuse_update_and_delete(table):
    if op.get_bind().dialect.name == 'postgresql':
        # refuse_append_only_change() comes from 0001.
        op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                   'FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()')
        op.execute(f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} '
                   'FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change()')
    else:
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END")


def _allow_update_and_delete(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
        op.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}')
    else:
        for event in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_{event}')


def upgrade():
    op.create_table('judicial_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('value', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_judicial_setting_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judicial_setting')),
    sa.UniqueConstraint('key', 'valid_from', name='uq_judicial_setting_key_from')
    )
    op.create_table('judicial_proceeding',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('route', sa.String(length=20), nullable=False),
    sa.Column('suggested_route', sa.String(length=20), nullable=False),
    sa.Column('suggestion_reasons', sa.JSON(), nullable=False),
    sa.Column('route_reason', sa.Text(), nullable=False),
    sa.Column('court', sa.String(length=200), nullable=False),
    sa.Column('form', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('claimed_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('costs_advanced_by', sa.String(length=8), nullable=False),
    sa.Column('next_deadline_on', sa.Date(), nullable=True),
    sa.Column('next_deadline_kind', sa.String(length=24), nullable=False),
    sa.Column('case_status_before', sa.String(length=12), nullable=False),
    sa.Column('pack_path', sa.String(length=255), nullable=False),
    sa.Column('pack_sha256', sa.String(length=64), nullable=False),
    sa.Column('pack_on', sa.Date(), nullable=True),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("costs_advanced_by IN ('client', 'agency')", name=op.f('ck_judicial_proceeding_costs_advanced_by_allowed')),
    sa.CheckConstraint("route IN ('small_claims', 'order_commercial', 'order_judicial', 'order_protection', 'referral')", name=op.f('ck_judicial_proceeding_route_allowed')),
    sa.CheckConstraint("stage IN ('proposed', 'awaiting_client', 'refused', 'withdrawn', 'preparing', 'filed', 'order_issued', 'order_refused', 'served', 'opposed', 'invited', 'agreed', 'declined', 'referred', 'enforceable', 'enforcement', 'paid', 'partly_paid', 'unenforceable', 'lapsed')", name=op.f('ck_judicial_proceeding_stage_allowed')),
    sa.CheckConstraint("suggested_route IN ('small_claims', 'order_commercial', 'order_judicial', 'order_protection', 'referral')", name=op.f('ck_judicial_proceeding_suggested_route_allowed')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_judicial_proceeding_case_client'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'], name=op.f('fk_judicial_proceeding_proposed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judicial_proceeding')),
    sa.UniqueConstraint('reference', name=op.f('uq_judicial_proceeding_reference'))
    )
    with op.batch_alter_table('judicial_proceeding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_proceeding_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_judicial_proceeding_client_stage', ['client_id', 'stage'], unique=False)
        batch_op.create_index('ix_judicial_proceeding_deadline', ['next_deadline_on'], unique=False)

    op.create_table('judicial_document',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('proceeding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=80), nullable=False),
    sa.Column('file_path', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_judicial_document_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_judicial_document_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['proceeding_id'], ['judicial_proceeding.id'], name=op.f('fk_judicial_document_proceeding_id_judicial_proceeding')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judicial_document'))
    )
    with op.batch_alter_table('judicial_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_document_proceeding_id'), ['proceeding_id'], unique=False)

    op.create_table('judicial_title',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('proceeding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('court', sa.String(length=200), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=True),
    sa.Column('enforceable_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('principal_cents', sa.BigInteger(), nullable=False),
    sa.Column('interest_cents', sa.BigInteger(), nullable=False),
    sa.Column('interest_from', sa.Date(), nullable=True),
    sa.Column('article_700_cents', sa.BigInteger(), nullable=False),
    sa.Column('costs_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_judicial_title_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['proceeding_id'], ['judicial_proceeding.id'], name=op.f('fk_judicial_title_proceeding_id_judicial_proceeding')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judicial_title')),
    sa.UniqueConstraint('proceeding_id', name=op.f('uq_judicial_title_proceeding_id'))
    )
    op.create_table('judicial_cost',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('proceeding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('incurred_on', sa.Date(), nullable=False),
    sa.Column('advanced_by', sa.String(length=8), nullable=False),
    sa.Column('ledger_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("advanced_by IN ('client', 'agency')", name=op.f('ck_judicial_cost_advanced_by_allowed')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_judicial_cost_amount_positive')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_judicial_cost_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_judicial_cost_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_judicial_cost_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['proceeding_id'], ['judicial_proceeding.id'], name=op.f('fk_judicial_cost_proceeding_id_judicial_proceeding')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judicial_cost'))
    )
    with op.batch_alter_table('judicial_cost', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_cost_proceeding_id'), ['proceeding_id'], unique=False)

    op.create_table('judicial_step',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('proceeding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('deadline_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('proposed', 'manager_approved', 'client_approved', 'refused', 'withdrawn', 'pack_prepared', 'filed', 'order_issued', 'order_partly_granted', 'order_refused', 'served', 'opposition', 'enforceable', 'invitation_sent', 'debtor_accepted', 'debtor_declined', 'title_issued', 'referred', 'enforcement', 'enforcement_act', 'paid', 'partly_paid', 'unenforceable', 'lapsed')", name=op.f('ck_judicial_step_kind_allowed')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_judicial_step_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['judicial_document.id'], name=op.f('fk_judicial_step_document_id_judicial_document')),
    sa.ForeignKeyConstraint(['proceeding_id'], ['judicial_proceeding.id'], name=op.f('fk_judicial_step_proceeding_id_judicial_proceeding')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judicial_step'))
    )
    with op.batch_alter_table('judicial_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_step_proceeding_id'), ['proceeding_id'], unique=False)

    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claims_nature', sa.String(length=16), nullable=False, server_default='sales'))
        batch_op.add_column(sa.Column('judicial_allowed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('judicial_costs_advanced_by', sa.String(length=8), nullable=False,
                                      server_default='client'))
        batch_op.add_column(sa.Column('judicial_fee_terms', sa.Text(), nullable=False, server_default=''))
        batch_op.create_check_constraint('claims_nature_allowed', "claims_nature IN ('sales', 'rent', 'consumer_credit')")
        batch_op.create_check_constraint('judicial_costs_advanced_by_allowed',
                                         "judicial_costs_advanced_by IN ('client', 'agency')")

    settings = sa.table('judicial_setting', sa.column('key', sa.String), sa.column('valid_from', sa.Date),
                        sa.column('value', sa.String), sa.column('source', sa.String),
                        sa.column('created_at', sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(settings, [{'key': key, 'valid_from': valid_from, 'value': value, 'source': source,
                               'created_at': now} for key, valid_from, value, source in SEED])
    for table in APPEND_ONLY:
        _refuse_update_and_delete(table)


def downgrade():
    for table in APPEND_ONLY:
        _allow_update_and_delete(table)
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mandate_judicial_costs_advanced_by_allowed'), type_='check')
        batch_op.drop_constraint(op.f('ck_mandate_claims_nature_allowed'), type_='check')
        batch_op.drop_column('judicial_fee_terms')
        batch_op.drop_column('judicial_costs_advanced_by')
        batch_op.drop_column('judicial_allowed')
        batch_op.drop_column('claims_nature')

    with op.batch_alter_table('judicial_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judicial_step_proceeding_id'))

    op.drop_table('judicial_step')
    with op.batch_alter_table('judicial_cost', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judicial_cost_proceeding_id'))

    op.drop_table('judicial_cost')
    op.drop_table('judicial_title')
    with op.batch_alter_table('judicial_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judicial_document_proceeding_id'))

    op.drop_table('judicial_document')
    with op.batch_alter_table('judicial_proceeding', schema=None) as batch_op:
        batch_op.drop_index('ix_judicial_proceeding_deadline')
        batch_op.drop_index('ix_judicial_proceeding_client_stage')
        batch_op.drop_index(batch_op.f('ix_judicial_proceeding_case_id'))

    op.drop_table('judicial_proceeding')
    op.drop_table('judicial_setting')
