"""search that holds at a million cases: debtors' folded names, trigram and exact-key indexes, keyset list

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-08

The case search finds a debtor's name typed without accents and in any order through `debtor.search_name`
(lower case, accents off, one space between words), filled here for the debtors already known and by the
application afterwards; on PostgreSQL a trigram index (pg_trgm, a trusted extension the database owner may
create) answers `LIKE '%word%'` on it. The other keys are found by equality: invoice numbers (over every client:
the unique key leads with the client), the client's customer number, postcodes. The case list pages newest first
by keyset, read from an index on (opened_on, id), alone or after the status or the client.

On PostgreSQL the indexes are built CONCURRENTLY, outside the migration's transaction, as in 0042: cases,
claims, debtors and their contact points are written all day, which a plain CREATE INDEX would block for as
long as it takes. An index left invalid by an interrupted build is dropped and built again by running the
migration again.
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None

BATCH = 10_000
# debtors.folding.fold as of this revision, frozen here so that the backfill never changes with the code.
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
     "đ": "d", "Đ": "D", "ı": "i"}
)
_SEPARATORS = re.compile(r"[\W_]+")


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(word for word in _SEPARATORS.split(bare) if word)[:420]


ADDRESSES = sa.text("kind = 'address'")
# name, table, columns, options; the trigram index on PostgreSQL only (SQLite has no pg_trgm, and scans).
INDEXES = [
    ('ix_contact_point_postcode', 'contact_point', ['postcode'],
     {'postgresql_where': ADDRESSES, 'sqlite_where': ADDRESSES}),
    ('ix_case_opened', 'collection_case', ['opened_on', 'id'], {}),
    ('ix_case_status_opened', 'collection_case', ['status', 'opened_on', 'id'], {}),
    ('ix_case_client_opened', 'collection_case', ['client_id', 'opened_on', 'id'], {}),
    ('ix_case_client_reference', 'collection_case', ['client_reference'], {}),
    ('ix_claim_invoice_number', 'claim', ['invoice_number'], {}),
]
TRIGRAM = ('ix_debtor_search_name_trgm', 'debtor', ['search_name'],
           {'postgresql_using': 'gin', 'postgresql_ops': {'search_name': 'gin_trgm_ops'}})


def upgrade():
    bind = op.get_bind()
    # Run again after an index build was cut short, the column and its names are already there.
    if 'search_name' not in {c['name'] for c in sa.inspect(bind).get_columns('debtor')}:
        # Not in batch mode: SQLite would rebuild the table and lose its triggers (migration 0011).
        op.add_column('debtor', sa.Column('search_name', sa.String(length=420), server_default='', nullable=False))
        _backfill(bind)
    if bind.dialect.name != 'postgresql':
        for name, table, columns, options in INDEXES:
            op.create_index(name, table, columns, unique=False, **options)
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.get_context().autocommit_block():
        for name, table, columns, options in [*INDEXES, TRIGRAM]:
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {name}')  # an invalid one, from a build cut short
            op.create_index(name, table, columns, unique=False, postgresql_concurrently=True, **options)


def _backfill(bind):
    """Fold the names of the debtors already known, a batch of ids at a time (one statement per batch)."""
    postgres = bind.dialect.name == 'postgresql'
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, first_name, last_name, company_name FROM debtor WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        last = rows[-1][0]
        folded = [(r[0], _fold(" ".join(p for p in r[1:] if p))) for r in rows]
        folded = [(i, name) for i, name in folded if name]
        if not folded:
            continue
        if postgres:
            bind.execute(sa.text(
                "UPDATE debtor SET search_name = v.name"
                " FROM unnest(CAST(:ids AS integer[]), CAST(:names AS text[])) AS v(id, name)"
                " WHERE debtor.id = v.id"), {"ids": [i for i, _ in folded], "names": [n for _, n in folded]})
        else:
            bind.execute(sa.text("UPDATE debtor SET search_name = :name WHERE id = :id"),
                         [{"id": i, "name": name} for i, name in folded])


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    for name, table, _columns, _options in reversed([*INDEXES, TRIGRAM] if postgres else INDEXES):
        op.drop_index(name, table_name=table)
    # pg_trgm stays: an extension is the database's, and dropping it could break what else uses it.
    # SQLite (3.35 and later) drops a column in place; a batch rebuild would lose the table's triggers.
    op.execute('ALTER TABLE debtor DROP COLUMN search_name')
