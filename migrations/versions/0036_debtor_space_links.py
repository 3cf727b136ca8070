"""debtor's space: the links issued in messages (stored as hashes) and the space's settings

Revision ID: 0036
Revises: 0034
Create Date: 2026-12-06

One link per SMS, e-mail or letter, naming one case, expiring, revocable; `space_settings` is one row
(how long links live, whether a debtor sees their other cases of the same client).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('space_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_days', sa.Integer(), nullable=False),
    sa.Column('group_cases', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_space_settings_single_row')),
    sa.CheckConstraint('link_days BETWEEN 1 AND 365', name=op.f('ck_space_settings_link_days_range')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_space_settings_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space_settings'))
    )
    op.create_table('space_link',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('sms_message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('email_message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('letter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('first_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('sms', 'email', 'letter')", name=op.f('ck_space_link_channel_allowed')),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_space_link_expires_after_creation')),
    sa.CheckConstraint('failed_attempts >= 0', name=op.f('ck_space_link_failed_attempts_non_negative')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_space_link_case_client'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_space_link_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['email_message_id'], ['email_message.id'], name=op.f('fk_space_link_email_message_id_email_message')),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_space_link_letter_id_letter')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_space_link_revoked_by_id_user_account')),
    sa.ForeignKeyConstraint(['sms_message_id'], ['sms_message.id'], name=op.f('fk_space_link_sms_message_id_sms_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_space_link_token_hash'))
    )
    with op.batch_alter_table('space_link', schema=None) as batch_op:
        batch_op.create_index('ix_space_link_case', ['case_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('space_link', schema=None) as batch_op:
        batch_op.drop_index('ix_space_link_case')

    op.drop_table('space_link')
    op.drop_table('space_settings')
