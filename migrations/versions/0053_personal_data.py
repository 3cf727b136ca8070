"""personal data: the debtor's anonymisation date, the retention setting, audit payloads scrubbed on record

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-06

A debtor keeps its row once anonymised (cases and the ledger refer to it) with `anonymised_at`. The retention
after closing is one settings row. Audit events stay append-only, except that an event's before/after and address
may be emptied of personal data once an `audit_scrub` row (itself append-only) names it: the trigger refuses any
other change, and every deletion, as before.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0053'
down_revision = '0052'
branch_labels = None
depends_on = None

# The columns of audit_event that never change, even when its payload is scrubbed.
KEPT = ("id", "created_at", "actor_id", "actor_label", "action", "subject_type", "subject_id", "client_id")
REFUSE = "audit_event rows are append-only"


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    # Not in batch mode: a plain ADD COLUMN keeps SQLite's triggers on debtor (never deleted, keys frozen).
    op.add_column('debtor', sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('personal_data_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('retention_years', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_personal_data_settings_single_row')),
    sa.CheckConstraint('retention_years BETWEEN 2 AND 30', name=op.f('ck_personal_data_settings_retention_years_range')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_personal_data_settings_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_settings'))
    )
    op.create_table('audit_scrub',
    sa.Column('audit_event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('scrubbed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audit_event_id'], ['audit_event.id'], name=op.f('fk_audit_scrub_audit_event_id_audit_event')),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtor.id'], name=op.f('fk_audit_scrub_debtor_id_debtor')),
    sa.PrimaryKeyConstraint('audit_event_id', name=op.f('pk_audit_scrub'))
    )
    with op.batch_alter_table('audit_scrub', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_scrub_debtor_id'), ['debtor_id'], unique=False)
    if _postgresql():
        kept = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in KEPT)
        op.execute(
            "CREATE FUNCTION audit_event_scrub_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
            f"IF TG_OP = 'UPDATE' AND {kept} "
            "AND EXISTS (SELECT 1 FROM audit_scrub s WHERE s.audit_event_id = OLD.id) THEN RETURN NEW; END IF; "
            "RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME; END $$"
        )
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_scrub_only()")
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_scrub_no_{event.lower()} BEFORE {event} ON audit_scrub "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()")
    else:
        kept = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT)
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "  # noqa: S608
            f"WHEN NOT ({kept} AND EXISTS (SELECT 1 FROM audit_scrub s WHERE s.audit_event_id = OLD.id)) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_scrub_no_{event.lower()} BEFORE {event} ON audit_scrub "
                       "BEGIN SELECT RAISE(ABORT, 'audit_scrub rows are append-only'); END")


def downgrade():
    if _postgresql():
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()")
        op.execute("DROP FUNCTION audit_event_scrub_only()")
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_scrub_no_{event} ON audit_scrub")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END")
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_scrub_no_{event}")
    with op.batch_alter_table('audit_scrub', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_scrub_debtor_id'))
    op.drop_table('audit_scrub')
    op.drop_table('personal_data_settings')
    op.drop_column('debtor', 'anonymised_at')
