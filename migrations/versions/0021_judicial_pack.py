"""judicial file: the creditor's legal form and representative, and the stored parts of a proceeding's pack

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

A request to the court names, for a company creditor, its legal form and its legal representative
(LEGAL-FR §9): the client gets both, empty for the clients entered before. The pack is
stored whole and part by part (the request, the statement of account, the bordereau), each with its
SHA-256, so that each part downloaded is the very one stored in the pack.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # Added in place, never in batch mode: recreating `client` on SQLite would drop its triggers (0011).
    op.add_column('client', sa.Column('legal_form', sa.String(60), nullable=False, server_default=''))
    op.add_column('client', sa.Column('representative', sa.String(200), nullable=False, server_default=''))
    op.add_column('judicial_proceeding', sa.Column('pack_parts', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('judicial_proceeding', 'pack_parts')
    op.drop_column('client', 'representative')
    op.drop_column('client', 'legal_form')
