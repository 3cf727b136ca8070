"""references of the tables a placement writes in bulk: checked once per statement on PostgreSQL

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24

PostgreSQL checks a foreign key row by row: for each new row, a query on the parent that also locks
its row against deletion. A placement of 100,000 invoices writes about a million references, and
those checks cost more than writing the rows. For the keys below, PostgreSQL instead checks all the
rows of a statement at once (a trigger with the statement's new rows, one anti-join per key), and
nothing is locked because nothing needs to be: the parent rows are never deleted, their referenced
columns never change, and neither do the referencing columns of the children. The same refusals
guard those rules. A parent that exists when the check runs therefore exists for good.

SQLite keeps these as ordinary foreign keys (it has no statement-level triggers) and gets the same
refusals, so both databases keep the same rules; the models keep the keys too, and
`agency.db.SET_BASED_KEYS` names them for the schema comparison.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# child table -> [(constraint, columns, parent table, parent columns)]
KEYS = {
    "contact_point": [("fk_contact_point_debtor_id_debtor", ("debtor_id",), "debtor", ("id",))],
    "debtor_reference": [
        ("fk_debtor_reference_client_id_client", ("client_id",), "client", ("id",)),
        ("fk_debtor_reference_debtor_id_debtor", ("debtor_id",), "debtor", ("id",)),
    ],
    "collection_case": [
        ("fk_collection_case_client_id_client", ("client_id",), "client", ("id",)),
        ("fk_collection_case_debtor_id_debtor", ("debtor_id",), "debtor", ("id",)),
        ("fk_collection_case_placement_id_placement", ("placement_id",), "placement", ("id",)),
    ],
    "claim": [
        ("fk_claim_case_client", ("case_id", "client_id"), "collection_case", ("id", "client_id")),
        ("fk_claim_placement_id_placement", ("placement_id",), "placement", ("id",)),
    ],
    "ledger_entry": [
        ("fk_ledger_entry_case_client", ("case_id", "client_id"), "collection_case", ("id", "client_id")),
        ("fk_ledger_entry_claim_case", ("claim_id", "case_id"), "claim", ("id", "case_id")),
        ("fk_ledger_entry_created_by_id_user_account", ("created_by_id",), "user_account", ("id",)),
    ],
    "audit_event": [
        ("fk_audit_event_actor_id_user_account", ("actor_id",), "user_account", ("id",)),
        ("fk_audit_event_client_id_client", ("client_id",), "client", ("id",)),
    ],
}

# Parents whose rows are never deleted. Ledger entries and audit events are append-only already.
NEVER_DELETED = ("debtor", "client", "placement", "user_account", "collection_case", "claim")

# Columns that never change once the row is written: referenced by a key above, or referencing.
FROZEN = {
    "debtor": ("id",),
    "client": ("id",),
    "placement": ("id",),
    "user_account": ("id",),
    "contact_point": ("debtor_id",),
    "debtor_reference": ("client_id", "debtor_id"),
    "collection_case": ("id", "client_id", "debtor_id", "placement_id"),
    "claim": ("id", "case_id", "client_id", "placement_id"),
}


REFUSAL = " rows are referenced: they are never deleted and their keys never change"


def _check_function(table, keys):
    """Return the trigger function checking every key of `table` for a statement's new rows."""
    checks = []
    for name, columns, parent, parent_columns in keys:
        present = " AND ".join(f"n.{c} IS NOT NULL" for c in columns)
        joined = " AND ".join(f"p.{pc} = n.{c}" for c, pc in zip(columns, parent_columns, strict=True))
        shown = " || ', ' || ".join(f"n.{c}::text" for c in columns)
        checks.append(f"""
    SELECT {shown} INTO missing FROM new_rows n
     WHERE {present} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {joined}) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{name}',
            MESSAGE = 'insert on table "{table}" violates foreign key constraint "{name}"',
            DETAIL = 'Key ({", ".join(columns)})=(' || missing || ') is not present in table "{parent}".';
    END IF;""")
    return f"""CREATE FUNCTION {table}_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text;
BEGIN{"".join(checks)}
    RETURN NULL;
END $$"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        _refuse_on_sqlite()
        return
    op.execute(
        "CREATE FUNCTION refuse_referenced_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = TG_TABLE_NAME || '{REFUSAL}'; "
        "END $$"
    )
    for table in NEVER_DELETED:
        for event in ("DELETE", "TRUNCATE"):
            op.execute(
                f"CREATE TRIGGER {table}_never_{event.lower()} BEFORE {event} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_change()"
            )
    for table, columns in FROZEN.items():
        op.execute(
            f"CREATE TRIGGER {table}_keys_frozen BEFORE UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({_changed(columns, 'IS DISTINCT FROM')}) "
            "EXECUTE FUNCTION refuse_referenced_change()"
        )
    for table, keys in KEYS.items():
        for name, *_ in keys:
            op.drop_constraint(name, table, type_="foreignkey")
        op.execute(_check_function(table, keys))
        op.execute(
            f"CREATE TRIGGER {table}_check_references AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_check_references()"
        )


def _refuse_on_sqlite():
    """The same refusals on SQLite, so that both databases keep the same rules (its keys stay)."""
    for table in NEVER_DELETED:
        op.execute(
            f"CREATE TRIGGER {table}_never_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table}{REFUSAL}'); END"
        )
    for table, columns in FROZEN.items():
        op.execute(
            f"CREATE TRIGGER {table}_keys_frozen BEFORE UPDATE OF {', '.join(columns)} ON {table} "
            f"WHEN {_changed(columns, 'IS NOT')} BEGIN SELECT RAISE(ABORT, '{table}{REFUSAL}'); END"
        )


def _changed(columns, distinct):
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for table, keys in KEYS.items():
            op.execute(f"DROP TRIGGER {table}_check_references ON {table}")
            op.execute(f"DROP FUNCTION {table}_check_references()")
            for name, columns, parent, parent_columns in keys:
                op.create_foreign_key(name, table, parent, list(columns), list(parent_columns))
    for table in FROZEN:
        op.execute(f"DROP TRIGGER {table}_keys_frozen" + (f" ON {table}" if postgresql else ""))
    for table in NEVER_DELETED:
        op.execute(f"DROP TRIGGER {table}_never_delete" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_never_truncate ON {table}")
    if postgresql:
        op.execute("DROP FUNCTION refuse_referenced_change()")
