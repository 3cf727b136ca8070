"""alerts: one row per occurrence of a rule (unique kind and subject), and the alert settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

KINDS = ("promise_broken", "funds_aged", "dispute_opened", "large_payment", "import_failed")


def upgrade():
    op.create_table('alert',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('placement_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('fired_on', sa.Date(), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('digested_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")", name=op.f('ck_alert_kind_allowed')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user_account.id'],
                            name=op.f('fk_alert_acknowledged_by_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['collection_case.id'], name=op.f('fk_alert_case_id_collection_case')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_alert_client_id_client')),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_alert_placement_id_placement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('kind', 'subject_id', name='uq_alert_occurrence')
    )
    op.create_index('ix_alert_open', 'alert', ['acknowledged_at', 'cleared_at', 'fired_at'], unique=False)
    op.create_index(op.f('ix_alert_client_id'), 'alert', ['client_id'], unique=False)
    op.create_table('alert_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_threshold_cents', sa.BigInteger(), nullable=False),
    sa.Column('digest_enabled', sa.Boolean(), nullable=False),
    sa.Column('digest_recipient_ids', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_alert_settings_single_row')),
    sa.CheckConstraint('payment_threshold_cents > 0', name=op.f('ck_alert_settings_threshold_positive')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'],
                            name=op.f('fk_alert_settings_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_settings'))
    )


def downgrade():
    op.drop_table('alert_settings')
    op.drop_index(op.f('ix_alert_client_id'), table_name='alert')
    op.drop_index('ix_alert_open', table_name='alert')
    op.drop_table('alert')
