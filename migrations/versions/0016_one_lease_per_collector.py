"""queue: a collector holds at most one lease, and each lease has a token that finishing it names

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

Parallel "Next" requests by one collector used to lease several cases to them and finish each other's
fresh leases. A unique index on the lease holder makes a second lease impossible; the token
(`lease_token`, drawn when a case is taken) lets Finish and Release end only the lease their form was
drawn for. Collectors holding several leases at this revision keep their latest one, given a token;
the others go back to the queue untouched, as a lease running out would.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

HELD = "leased_by_id IS NOT NULL"


def upgrade():
    # A nullable column is added in place: SQLite needs no copy of the table (and its triggers stay).
    op.add_column('collection_case', sa.Column('lease_token', sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE collection_case SET leased_by_id = NULL, lease_expires_at = NULL"
        " WHERE leased_by_id IS NOT NULL AND id <> (SELECT latest.id FROM collection_case latest"
        " WHERE latest.leased_by_id = collection_case.leased_by_id"
        " ORDER BY latest.lease_expires_at DESC, latest.id DESC LIMIT 1)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE collection_case SET lease_token = md5(random()::text) WHERE leased_by_id IS NOT NULL")
    else:
        op.execute("UPDATE collection_case SET lease_token = lower(hex(randomblob(16))) WHERE leased_by_id IS NOT NULL")
    op.create_index('uq_case_one_lease_per_collector', 'collection_case', ['leased_by_id'], unique=True,
                    postgresql_where=sa.text(HELD), sqlite_where=sa.text(HELD))


def downgrade():
    op.drop_index('uq_case_one_lease_per_collector', table_name='collection_case')
    # In place on SQLite too (3.35+): batch mode would copy the table and lose its triggers.
    op.execute("ALTER TABLE collection_case DROP COLUMN lease_token")
