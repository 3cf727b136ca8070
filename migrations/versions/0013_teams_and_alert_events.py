"""collectors in several teams (team_member); alerts dated by their event, and the unattended pool alert

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

A collector's one team (`user_account.team_id`) becomes a membership row per team: each user keeps the
team they had. An alert gets the day of its event (`occurred_on`: the promise's date, the payment's
receipt, the dispute's opening), filled in for the alerts fired before this revision from their
subjects where the day is known, else from the day they fired. The new kind `pool_unattended` is
about a team (`team_id`), not a client, and may fire again for a later spell: its occurrence key
counts only the spell under way (`uq_alert_spell`).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("promise_broken", "funds_aged", "dispute_opened", "large_payment", "import_failed")
KINDS = KINDS_BEFORE + ("pool_unattended",)
REFUSAL = " rows are referenced: they are never deleted and their keys never change"


def _kinds(values):
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table('team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_member_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_team_member_user_id_user_account')),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_member'))
    )
    op.create_index(op.f('ix_team_member_user_id'), 'team_member', ['user_id'], unique=False)
    op.execute("INSERT INTO team_member (team_id, user_id) SELECT team_id, id FROM user_account "
               "WHERE team_id IS NOT NULL")
    op.drop_index(op.f('ix_user_account_team_id'), table_name='user_account')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_user_account_team_id_team'), type_='foreignkey')
        batch_op.drop_column('team_id')
    _user_triggers_again()

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_alert_team_id_team'), 'team', ['team_id'], ['id'])
        batch_op.alter_column('client_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('uq_alert_occurrence', type_='unique')
        batch_op.drop_constraint(op.f('ck_alert_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS))
    op.execute("UPDATE alert SET occurred_on = (SELECT due_on FROM promise WHERE promise.id = alert.subject_id) "
               "WHERE kind = 'promise_broken'")
    op.execute("UPDATE alert SET occurred_on = (SELECT received_on FROM payment WHERE payment.id = alert.subject_id) "
               "WHERE kind IN ('funds_aged', 'large_payment')")
    op.execute("UPDATE alert SET occurred_on = fired_on WHERE occurred_on IS NULL")
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.alter_column('occurred_on', existing_type=sa.Date(), nullable=False)
    where = "kind NOT IN ('pool_unattended')"
    op.create_index('uq_alert_occurrence', 'alert', ['kind', 'subject_id'], unique=True,
                    postgresql_where=sa.text(where), sqlite_where=sa.text(where))
    spell = "kind IN ('pool_unattended') AND cleared_at IS NULL"
    op.create_index('uq_alert_spell', 'alert', ['kind', 'subject_id'], unique=True,
                    postgresql_where=sa.text(spell), sqlite_where=sa.text(spell))


def downgrade():
    op.drop_index('uq_alert_spell', table_name='alert')
    op.drop_index('uq_alert_occurrence', table_name='alert')
    op.execute("DELETE FROM alert WHERE kind = 'pool_unattended'")
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_kind_allowed'), type_='check')
        batch_op.create_check_constraint('kind_allowed', _kinds(KINDS_BEFORE))
        batch_op.create_unique_constraint('uq_alert_occurrence', ['kind', 'subject_id'])
        batch_op.alter_column('client_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(op.f('fk_alert_team_id_team'), type_='foreignkey')
        batch_op.drop_column('team_id')
        batch_op.drop_column('occurred_on')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_user_account_team_id_team'), 'team', ['team_id'], ['id'])
    _user_triggers_again()
    op.create_index(op.f('ix_user_account_team_id'), 'user_account', ['team_id'], unique=False)
    # One team each again: the first the user joined.
    op.execute("UPDATE user_account SET team_id = (SELECT MIN(team_id) FROM team_member "
               "WHERE team_member.user_id = user_account.id)")
    op.drop_index(op.f('ix_team_member_user_id'), table_name='team_member')
    op.drop_table('team_member')


def _user_triggers_again():
    """Create again on SQLite the triggers of 0011 that copying `user_account` dropped (PostgreSQL keeps them)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS user_account_never_delete")
    op.execute("DROP TRIGGER IF EXISTS user_account_keys_frozen")
    op.execute("CREATE TRIGGER user_account_never_delete BEFORE DELETE ON user_account "
               f"BEGIN SELECT RAISE(ABORT, 'user_account{REFUSAL}'); END")
    op.execute("CREATE TRIGGER user_account_keys_frozen BEFORE UPDATE OF id ON user_account "
               f"WHEN OLD.id IS NOT NEW.id BEGIN SELECT RAISE(ABORT, 'user_account{REFUSAL}'); END")
