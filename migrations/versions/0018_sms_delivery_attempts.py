"""sms_message: the status 'sending' and the delivery's attempts, so that an SMS is sent at most once

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

An SMS is recorded 'sending' and delivered by a job that records each attempt before calling Twilio
(`attempts`, `attempted_at` while its outcome is unknown) and when to try again (`next_attempt_at`,
found by a partial index). Messages 'queued' before this revision keep their status.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

STATUSES_BEFORE = ('outbox', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'received')
STATUSES = ('outbox', 'sending', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'received')
SENDING = "status = 'sending'"


def _in(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    # sms_message has no trigger: SQLite may copy the table for the new CHECK.
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_sms_message_status_allowed'), type_='check')
        batch_op.create_check_constraint('status_allowed', _in(STATUSES))
    op.create_index('ix_sms_message_due', 'sms_message', ['next_attempt_at'], unique=False,
                    postgresql_where=sa.text(SENDING), sqlite_where=sa.text(SENDING))


def downgrade():
    op.drop_index('ix_sms_message_due', table_name='sms_message',
                  postgresql_where=sa.text(SENDING), sqlite_where=sa.text(SENDING))
    # A message still being sent cannot be told apart from one Twilio holds: it is left failed, visibly.
    op.execute("UPDATE sms_message SET status = 'failed', error = 'interrupted by a downgrade' WHERE status = 'sending'")
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sms_message_status_allowed'), type_='check')
        batch_op.create_check_constraint('status_allowed', _in(STATUSES_BEFORE))
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempted_at')
        batch_op.drop_column('attempts')
