"""letters: when an issued letter was printed and when it was sent (until then it is only generated)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable columns added in place: SQLite needs no copy of the table.
    op.add_column('letter', sa.Column('printed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('letter', sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('sent_at')
        batch_op.drop_column('printed_at')
