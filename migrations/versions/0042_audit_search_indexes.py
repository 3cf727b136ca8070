"""the audit screen's indexes: newest first by time, by user, by kind of event, each paged on (created_at, id)

Revision ID: 0042
Revises: 0040
Create Date: 2026-12-06

(created_at, id) replaces the index on created_at alone, which it serves as well. On PostgreSQL the indexes
are built CONCURRENTLY, outside the migration's transaction: the trail holds tens of millions of rows and is
written by every request, which a plain CREATE INDEX would block for as long as it takes. An index left
invalid by an interrupted build is dropped and built again by running the migration again.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0040'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_audit_event_time": ["created_at", "id"],
    "ix_audit_event_actor_time": ["actor_id", "created_at", "id"],
    "ix_audit_event_action_time": ["action", "created_at", "id"],
}
OLD = ("ix_audit_event_created_at", ["created_at"])


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            for name, columns in INDEXES.items():
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")  # an invalid one, from a build cut short
                op.create_index(name, "audit_event", columns, postgresql_concurrently=True)
            op.drop_index(OLD[0], table_name="audit_event", postgresql_concurrently=True)
        return
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_event", columns)
    op.drop_index(OLD[0], table_name="audit_event")


def downgrade():
    op.create_index(OLD[0], "audit_event", OLD[1])
    for name in INDEXES:
        op.drop_index(name, table_name="audit_event")
