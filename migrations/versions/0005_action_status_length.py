"""action: room for the status 'pending_approval' (16 characters) in action.status

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # A formal notice waits for a manager as an action 'pending_approval', which VARCHAR(10) cannot hold
    # on PostgreSQL (SQLite does not enforce the length).
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=16),
                              existing_nullable=False)


def downgrade():
    op.execute("UPDATE action SET status = 'cancelled' WHERE status = 'pending_approval'")
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), type_=sa.String(length=10),
                              existing_nullable=False)
