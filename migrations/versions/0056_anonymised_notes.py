"""a note's text may be emptied once its debtor is anonymised

Revision ID: 0056
Revises: 0053
Create Date: 2026-12-06

Notes stay never edited nor deleted, with one exception the retention rules need: when the debtor a note is
about has been anonymised (`debtor.anonymised_at`), its body and hiding reason may be emptied — and only that;
who wrote it, when, on which case, and whether it was shown to the client or hidden stay as they were.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0056'
down_revision = '0053'
branch_labels = None
depends_on = None

CHANGED = ("OLD.hidden_at IS NOT NULL OR NEW.body IS DISTINCT FROM OLD.body OR NEW.case_id IS DISTINCT FROM "
           "OLD.case_id OR NEW.client_id IS DISTINCT FROM OLD.client_id OR NEW.debtor_id IS DISTINCT FROM "
           "OLD.debtor_id OR NEW.visible_to_client IS DISTINCT FROM OLD.visible_to_client OR NEW.created_at IS "
           "DISTINCT FROM OLD.created_at OR NEW.created_by_id IS DISTINCT FROM OLD.created_by_id")
# Emptying the texts of an anonymised debtor's note, and nothing else.
ANONYMISING = ("(NEW.body = '' AND NEW.hidden_reason = '' AND NEW.case_id IS NOT DISTINCT FROM OLD.case_id "
               "AND NEW.client_id IS NOT DISTINCT FROM OLD.client_id AND NEW.debtor_id = OLD.debtor_id "
               "AND NEW.visible_to_client = OLD.visible_to_client AND NEW.created_at = OLD.created_at "
               "AND NEW.created_by_id = OLD.created_by_id AND NEW.hidden_at IS NOT DISTINCT FROM OLD.hidden_at "
               "AND NEW.hidden_by_id IS NOT DISTINCT FROM OLD.hidden_by_id "
               "AND EXISTS (SELECT 1 FROM debtor d WHERE d.id = NEW.debtor_id AND d.anonymised_at IS NOT NULL))")


def _sqlite(condition: str) -> str:
    return condition.replace('IS NOT DISTINCT FROM', 'IS').replace('IS DISTINCT FROM', 'IS NOT')


def _replace(refused: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE OR REPLACE FUNCTION refuse_note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF TG_OP = 'DELETE' OR " + refused + " THEN "
                   "RAISE EXCEPTION 'notes are never edited nor deleted, only hidden once'; END IF; "
                   "RETURN NEW; END $$")
    else:
        op.execute('DROP TRIGGER IF EXISTS note_no_edit')
        op.execute(f"CREATE TRIGGER note_no_edit BEFORE UPDATE ON note WHEN {_sqlite(refused)} "
                   "BEGIN SELECT RAISE(ABORT, 'notes are never edited, only hidden once'); END")


def upgrade():
    _replace(f"(({CHANGED}) AND NOT {ANONYMISING})")


def downgrade():
    _replace(f"({CHANGED})")
