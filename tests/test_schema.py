"""The Alembic migration builds the whole schema from empty, matches the models, and goes back down."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from agency.db import db, schema_filter

EXPECTED_TABLES = {
    "agency_profile",
    "user_account",
    "client",
    "mandate",
    "audit_event",
    "sms_message",
    "periodic_run",
    "debtor",
    "contact_point",
    "hold",
    "collection_case",
    "claim",
    "ledger_entry",
    "action",
    "promise",
    "reference_counter", "placement", "placement_file", "column_mapping", "api_token", "debtor_reference",
}


def test_migration_matches_the_models(db_session):
    """Autogenerate finds nothing to add: the migration and the models describe the same schema."""
    conn = db_session.connection()
    opts = {"compare_type": True, "include_object": schema_filter(conn.dialect.name)}
    diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
    assert diff == []


@pytest.fixture
def scratch_app(app, tmp_path):
    """A second app on an empty database of the same kind as the test database."""
    from app import create_app

    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        scratch = url.set(database=f"{url.database}_migration")
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{scratch.database}"'))
        admin.dispose()
    else:
        scratch = sa.engine.make_url(f"sqlite:///{tmp_path / 'scratch.db'}")
    scratch_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch.render_as_string(False)})
    yield scratch_app
    with scratch_app.app_context():
        db.engine.dispose()


@pytest.mark.no_db
def test_migration_builds_from_empty_and_downgrades(scratch_app):
    with scratch_app.app_context():
        assert set(sa.inspect(db.engine).get_table_names()) == set()
        upgrade(revision="heads")
        assert EXPECTED_TABLES <= set(sa.inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(revision="heads")
        assert EXPECTED_TABLES <= set(sa.inspect(db.engine).get_table_names())


def test_no_money_column_is_a_float_or_numeric():
    """Money is integer cents: no column may be Float or Numeric (SQLite keeps Numeric as a float)."""
    offenders = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (sa.Float, sa.Numeric)) and not isinstance(column.type, sa.Integer)
    ]
    assert offenders == []
    cents = [c for t in db.metadata.sorted_tables for c in t.columns if c.name.endswith("_cents")]
    assert cents and all(isinstance(c.type, sa.BigInteger) for c in cents)
