"""placements: the first rows of the file, kept at upload for the mapping page

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

The mapping page read the whole stored file again on every request to show three rows. Placements
uploaded before this revision have no samples: their mapping page shows the columns without values.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('placement', sa.Column('samples', sa.JSON(), nullable=True))


def downgrade():
    # Not in batch mode: recreating the table on SQLite would drop its triggers (0011); SQLite drops a column
    # in place since 3.35.
    op.drop_column('placement', 'samples')
