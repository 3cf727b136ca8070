"""The SQLAlchemy handle and the column types every model shares (SQLite's setup is in agency.sqlite)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.ext.compiler
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that Alembic revisions can name what they alter on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Ids of tables that grow without bound (ledger, actions, audit); SQLite only autoincrements INTEGER.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Money: integer cents, never Numeric (SQLite stores Numeric as a float).
Cents = sa.BigInteger


class local_day(sa.sql.functions.GenericFunction):  # noqa: N801 (an SQL function's name)
    """The calendar day of a UTC timestamp in a time zone: `local_day(column, "Europe/Paris")`.

    PostgreSQL converts with `timezone()`; SQLite calls the Python function `agency.sqlite` registers
    on each connection, so both give the same day, summer time included.
    """

    type = sa.Date()
    inherit_cache = True


@sa.ext.compiler.compiles(local_day, "postgresql")
def _local_day_postgresql(element, compiler, **kw):
    moment, zone = element.clauses.clauses
    return f"CAST(timezone({compiler.process(zone, **kw)}, {compiler.process(moment, **kw)}) AS DATE)"


class _SummedCents(sa.TypeDecorator):
    """A sum of cents read back as an int: PostgreSQL sums BIGINT as NUMERIC, the driver gives a Decimal."""

    impl = sa.BigInteger
    cache_ok = True

    def process_result_value(self, value, dialect) -> int | None:
        return None if value is None else int(value)


def sum_cents(column) -> sa.ColumnElement[int]:
    """SUM of a cents column that reads back as an int on both databases.

    Not cast to BIGINT in SQL: a sum across many cases may exceed what BIGINT holds even when every case
    is within its bound, and a page that reads it must not fail (PostgreSQL's NUMERIC sum cannot overflow).
    """
    return sa.type_coerce(sa.func.coalesce(sa.func.sum(column), 0), _SummedCents())


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def enum_check(column: str, values) -> sa.CheckConstraint:
    """Return a CHECK constraint keeping `column` within `values` (string enums stay portable)."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


# Foreign keys that PostgreSQL checks once per statement, by triggers, instead of row by row (see
# migration 0011): the models and SQLite keep them as constraints.
SET_BASED_KEYS = frozenset(
    {
        "fk_contact_point_debtor_id_debtor",
        "fk_debtor_reference_client_id_client",
        "fk_debtor_reference_debtor_id_debtor",
        "fk_collection_case_client_id_client",
        "fk_collection_case_debtor_id_debtor",
        "fk_collection_case_placement_id_placement",
        "fk_claim_case_client",
        "fk_claim_placement_id_placement",
        "fk_ledger_entry_case_client",
        "fk_ledger_entry_claim_case",
        "fk_ledger_entry_created_by_id_user_account",
        "fk_audit_event_actor_id_user_account",
        "fk_audit_event_client_id_client",
        "fk_claim_limitation_case_client",  # migration 0032
        "fk_claim_limitation_claim_case",
    }
)


def schema_filter(dialect_name: str):
    """Return Alembic's `include_object` for comparing the models with a database of this kind."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if _only_on_another_dialect(obj, dialect_name):
            return False
        return not (
            dialect_name == "postgresql" and type_ == "foreign_key_constraint" and name in SET_BASED_KEYS
        )

    return include_object


def _only_on_another_dialect(obj, dialect_name: str) -> bool:
    # An index declared with .ddl_if(dialect=…) (a trigram index, an index on an expression) exists on that
    # dialect only: Alembic does not read ddl_if, so the comparison is told here.
    ddl_if = getattr(obj, "_ddl_if", None)
    dialect = ddl_if.dialect if ddl_if is not None else None
    if dialect is None:
        return False
    return dialect_name not in ((dialect,) if isinstance(dialect, str) else tuple(dialect))
