"""a debtor's cases with their sort key: (debtor_id, opened_on, id) in place of the index on debtor_id

Revision ID: 0047
Revises: 0045
Create Date: 2026-12-08

A search by a debtor's name, SIREN, phone, e-mail or postcode takes the sort keys of every case of the debtors
it finds (thousands, for a common name) and cuts the page from them: with opened_on in the index they are read
from it alone instead of visiting each case. It serves whatever the index on debtor_id served (its first
column), which is dropped once the new one is built. On PostgreSQL both are done CONCURRENTLY, as in 0042.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0047'
down_revision = '0045'
branch_labels = None
depends_on = None

NEW = ('ix_case_debtor_opened', ['debtor_id', 'opened_on', 'id'])
OLD = ('ix_collection_case_debtor_id', ['debtor_id'])


def upgrade():
    _swap(NEW, OLD)


def downgrade():
    _swap(OLD, NEW)


def _swap(build, drop):
    if op.get_bind().dialect.name != 'postgresql':
        op.create_index(build[0], 'collection_case', build[1], unique=False)
        op.drop_index(drop[0], table_name='collection_case')
        return
    with op.get_context().autocommit_block():
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {build[0]}')  # an invalid one, from a build cut short
        op.create_index(build[0], 'collection_case', build[1], unique=False, postgresql_concurrently=True)
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {drop[0]}')
