"""notes and tasks: free notes on a case or a debtor, tasks with a due date and an assignee

Revision ID: 0052
Revises: 0055
Create Date: 2026-12-06

A note is never edited in place: a trigger refuses its deletion and any change but hiding it once (who, when,
why). A task belongs to a case and its client (the tenant scope applies to the row), is assigned to a person or
a team, and a rule raises at most one open task per case (a partial unique index).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0052'
down_revision = '0055'
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
OPEN_RULE = "status = 'open' AND rule IS NOT NULL"
# Once written, a note changes only to be hidden, once; its text, case, debtor and author never.
NOTE_CHANGED = ("OLD.hidden_at IS NOT NULL OR NEW.body IS DISTINCT FROM OLD.body OR NEW.case_id IS DISTINCT FROM "
                "OLD.case_id OR NEW.client_id IS DISTINCT FROM OLD.client_id OR NEW.debtor_id IS DISTINCT FROM "
                "OLD.debtor_id OR NEW.visible_to_client IS DISTINCT FROM OLD.visible_to_client OR NEW.created_at IS "
                "DISTINCT FROM OLD.created_at OR NEW.created_by_id IS DISTINCT FROM OLD.created_by_id")


def upgrade():
    op.create_table('note',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visible_to_client', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.String(length=500), nullable=False, server_default=''),
    sa.CheckConstraint('(case_id IS NULL) = (client_id IS NULL)', name=op.f('ck_note_case_and_client')),
    sa.CheckConstraint('case_id IS NOT NULL OR NOT visible_to_client', name=op.f('ck_note_debtor_note_internal')),
    sa.CheckConstraint('(hidden_at IS NULL) = (hidden_by_id IS NULL)', name=op.f('ck_note_hidden_by_whom')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_note_case_client'),
    sa.ForeignKeyConstraint(['case_id', 'debtor_id'], ['collection_case.id', 'collection_case.debtor_id'], name='fk_note_case_debtor'),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtor.id'], name=op.f('fk_note_debtor_id_debtor')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_note_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['user_account.id'], name=op.f('fk_note_hidden_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note'))
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index('ix_note_case', ['case_id', 'id'], unique=False)
        batch_op.create_index('ix_note_debtor', ['debtor_id', 'id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False, server_default=''),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False, server_default='open'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f('ck_task_status_allowed')),
    sa.CheckConstraint('assignee_id IS NULL OR team_id IS NULL', name=op.f('ck_task_one_assignee')),
    sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name=op.f('ck_task_closed_when_not_open')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_task_case_client'),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtor.id'], name=op.f('fk_task_debtor_id_debtor')),
    sa.ForeignKeyConstraint(['assignee_id'], ['user_account.id'], name=op.f('fk_task_assignee_id_user_account')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_task_team_id_team')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_task_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_task_closed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_case', ['case_id', 'id'], unique=False)
        batch_op.create_index('ix_task_assignee_open', ['assignee_id', 'due_on'], unique=False,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.create_index('ix_task_team_open', ['team_id', 'due_on'], unique=False,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.create_index('uq_task_case_rule_open', ['case_id', 'rule'], unique=True,
                              postgresql_where=sa.text(OPEN_RULE), sqlite_where=sa.text(OPEN_RULE))
    _keep_notes()


def _keep_notes():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE FUNCTION refuse_note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF TG_OP = 'DELETE' OR " + NOTE_CHANGED + " THEN "
                   "RAISE EXCEPTION 'notes are never edited nor deleted, only hidden once'; END IF; "
                   "RETURN NEW; END $$")
        op.execute('CREATE TRIGGER note_kept BEFORE UPDATE OR DELETE ON note '
                   'FOR EACH ROW EXECUTE FUNCTION refuse_note_change()')
        op.execute('CREATE TRIGGER note_no_truncate BEFORE TRUNCATE ON note '
                   'FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change()')
    else:
        changed = NOTE_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')
        op.execute("CREATE TRIGGER note_no_delete BEFORE DELETE ON note "
                   "BEGIN SELECT RAISE(ABORT, 'notes are never deleted, only hidden'); END")
        op.execute(f"CREATE TRIGGER note_no_edit BEFORE UPDATE ON note WHEN {changed} "
                   "BEGIN SELECT RAISE(ABORT, 'notes are never edited, only hidden once'); END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS note_kept ON note')
        op.execute('DROP TRIGGER IF EXISTS note_no_truncate ON note')
        op.execute('DROP FUNCTION IF EXISTS refuse_note_change()')
    else:
        op.execute('DROP TRIGGER IF EXISTS note_no_delete')
        op.execute('DROP TRIGGER IF EXISTS note_no_edit')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('uq_task_case_rule_open')
        batch_op.drop_index('ix_task_team_open')
        batch_op.drop_index('ix_task_assignee_open')
        batch_op.drop_index('ix_task_case')
    op.drop_table('task')
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index('ix_note_debtor')
        batch_op.drop_index('ix_note_case')
    op.drop_table('note')
