"""claim_limitation's references checked once per statement on PostgreSQL

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

The daily limitation job writes a row per claim (a million for a large agency) in one INSERT … ON
CONFLICT. Its two foreign keys, to the claim and to the case, were checked row by row, each check a
query that also locks the parent row: 25 of the job's 40 s on 1,000,000 claims. As for the tables
of migration 0011, PostgreSQL now checks all the rows of a statement at once (a trigger with the
statement's rows, one anti-join per key), after an insert and after an update alike (the upsert
does both); the parents are never deleted and their keys never change (0011's refusals), so a
parent found by the check exists for good. SQLite keeps the foreign keys; `agency.db.SET_BASED_KEYS`
names them for the schema comparison.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

CASE_KEY = "fk_claim_limitation_case_client"
CLAIM_KEY = "fk_claim_limitation_claim_case"
EVENTS = ("insert", "update")

CHECK = f"""CREATE FUNCTION claim_limitation_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text;
BEGIN
    SELECT n.case_id::text || ', ' || n.client_id::text INTO missing FROM new_rows n
     WHERE NOT EXISTS (SELECT 1 FROM collection_case c WHERE c.id = n.case_id AND c.client_id = n.client_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{CASE_KEY}',
            MESSAGE = 'claim_limitation violates foreign key constraint "{CASE_KEY}"',
            DETAIL = 'Key (case_id, client_id)=(' || missing || ') is not present in table "collection_case".';
    END IF;
    SELECT n.claim_id::text || ', ' || n.case_id::text INTO missing FROM new_rows n
     WHERE NOT EXISTS (SELECT 1 FROM claim c WHERE c.id = n.claim_id AND c.case_id = n.case_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{CLAIM_KEY}',
            MESSAGE = 'claim_limitation violates foreign key constraint "{CLAIM_KEY}"',
            DETAIL = 'Key (claim_id, case_id)=(' || missing || ') is not present in table "claim".';
    END IF;
    RETURN NULL;
END $$"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(CASE_KEY, "claim_limitation", type_="foreignkey")
    op.drop_constraint(CLAIM_KEY, "claim_limitation", type_="foreignkey")
    op.execute(CHECK)
    for event in EVENTS:  # a trigger with a transition table answers one event only
        op.execute(
            f"CREATE TRIGGER claim_limitation_check_references_{event} AFTER {event.upper()} ON claim_limitation "
            "REFERENCING NEW TABLE AS new_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION claim_limitation_check_references()"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in EVENTS:
        op.execute(f"DROP TRIGGER claim_limitation_check_references_{event} ON claim_limitation")
    op.execute("DROP FUNCTION claim_limitation_check_references()")
    op.create_foreign_key(CASE_KEY, "claim_limitation", "collection_case", ["case_id", "client_id"],
                          ["id", "client_id"])
    op.create_foreign_key(CLAIM_KEY, "claim_limitation", "claim", ["claim_id", "case_id"], ["id", "case_id"])
