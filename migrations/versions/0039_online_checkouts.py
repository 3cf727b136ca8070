"""online card payments: the checkouts opened with the provider, its events received once; the mandate's terms

Revision ID: 0039
Revises: 0036
Create Date: 2026-12-06

A checkout is one payment page opened with the provider (Stripe) for a case; its payment is recorded from the
provider's signed event only. Each event is kept once (unique provider + event id), so a second delivery does
nothing. The mandate says the least part payment a debtor may choose online (default €10) and who bears the
provider's fee (the agency by default).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('online_checkout',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('provider_session_id', sa.String(length=255), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('purpose', sa.String(length=12), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('failure_reason', sa.String(length=255), nullable=False),
    sa.Column('provider_payment_id', sa.String(length=255), nullable=False),
    sa.Column('fee_cents', sa.BigInteger(), nullable=True),
    sa.Column('fee_borne_by', sa.String(length=8), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("fee_borne_by IN ('agency', 'client')", name=op.f('ck_online_checkout_fee_borne_by_allowed')),
    sa.CheckConstraint("purpose IN ('full', 'instalment', 'own')", name=op.f('ck_online_checkout_purpose_allowed')),
    sa.CheckConstraint("status IN ('open', 'paid', 'failed', 'expired')", name=op.f('ck_online_checkout_status_allowed')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_online_checkout_amount_positive')),
    sa.CheckConstraint('fee_cents IS NULL OR fee_cents >= 0', name=op.f('ck_online_checkout_fee_non_negative')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_online_checkout_currency_code')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_online_checkout_case_client'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_online_checkout_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_checkout')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_online_checkout_payment_id')),
    sa.UniqueConstraint('provider', 'provider_session_id', name='uq_online_checkout_session'),
    sa.UniqueConstraint('reference', name=op.f('uq_online_checkout_reference'))
    )
    with op.batch_alter_table('online_checkout', schema=None) as batch_op:
        batch_op.create_index('ix_online_checkout_case', ['case_id', 'id'], unique=False)

    op.create_table('online_provider_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('provider_event_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('provider_session_id', sa.String(length=255), nullable=False),
    sa.Column('checkout_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checkout_id'], ['online_checkout.id'], name=op.f('fk_online_provider_event_checkout_id_online_checkout')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_provider_event')),
    sa.UniqueConstraint('provider', 'provider_event_id', name='uq_online_provider_event')
    )
    with op.batch_alter_table('online_provider_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_online_provider_event_checkout_id'), ['checkout_id'], unique=False)

    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_part_payment_cents', sa.BigInteger(), nullable=False, server_default='1000'))
        batch_op.add_column(sa.Column('card_fee_borne_by', sa.String(length=8), nullable=False, server_default='agency'))
        batch_op.create_check_constraint('min_part_payment_non_negative', 'min_part_payment_cents >= 0')
        batch_op.create_check_constraint('card_fee_borne_by_allowed', "card_fee_borne_by IN ('agency', 'client')")



def downgrade():
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mandate_card_fee_borne_by_allowed'), type_='check')
        batch_op.drop_constraint(op.f('ck_mandate_min_part_payment_non_negative'), type_='check')
        batch_op.drop_column('card_fee_borne_by')
        batch_op.drop_column('min_part_payment_cents')

    with op.batch_alter_table('online_provider_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_online_provider_event_checkout_id'))

    op.drop_table('online_provider_event')
    with op.batch_alter_table('online_checkout', schema=None) as batch_op:
        batch_op.drop_index('ix_online_checkout_case')

    op.drop_table('online_checkout')
