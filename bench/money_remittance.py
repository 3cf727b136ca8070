"""Time one monthly remittance run on PostgreSQL: statements for 50 clients over a month of payments.

    python -m bench.money_remittance [--payments N] [--database-url URL]

The database (BENCH_REMITTANCE_DATABASE_URL, else amiable_bench_remittance on the local PostgreSQL) is
dropped, recreated and migrated; 50 clients with their mandates (15 % + 20 % VAT, a €25 fee per case
for half of them) are created through the models, then N payments on N/4 cases are generated with
INSERT … SELECT over generate_series (not timed), foreign-key triggers off while loading as in
`bench.queue_data`: payments spread over October 2026, one in ten paid directly to the client, one in
a hundred reversed a few days later. The timed part is `run_remittances(31 October 2026)` and its
commit: one statement per client, one line per payment and reversal, the fixed fees, the totals.

The last line reads `remittance payments=… statements=… lines=… run_s=…`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa

from bench.placement import make_app, recreate_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/amiable_bench_remittance"
CLIENTS = 50
PERIOD_START, PERIOD_END = date(2026, 10, 1), date(2026, 10, 31)
TARGET_S = 60
NOW = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def _insert(connection: sa.Connection, model, values: dict[str, str], source: str, params: dict) -> None:
    """INSERT INTO the model's table the columns given as SQL, every other NOT NULL column at its default."""
    table = model.__table__
    columns = dict(values)
    for column in table.columns:
        if column.name in columns or column.nullable or column.primary_key:
            continue
        default = column.default.arg if column.default is not None and column.default.is_scalar else None
        if default is None:
            raise SystemExit(f"bench.money_remittance does not know how to fill {table.name}.{column.name}")
        params[f"default_{table.name}_{column.name}"] = default
        columns[column.name] = f":default_{table.name}_{column.name}"
    names = ", ".join(columns)
    exprs = ", ".join(columns.values())
    connection.execute(sa.text(f"INSERT INTO {table.name} ({names}) SELECT {exprs} {source}"), params)  # noqa: S608


def set_up(url: str, payments: int) -> dict[str, int]:
    """Migrate, create the clients and their mandates, generate cases and payments; return the counts."""
    from flask_migrate import upgrade

    from agency.db import db
    from agency.models import Client, Mandate
    from cases.models import Case
    from debtors.models import Debtor
    from money.models import Payment

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade(revision="heads")
        finally:
            logging.disable(logging.NOTSET)
        for n in range(1, CLIENTS + 1):
            client = Client(code=f"RV{n:02d}", name=f"Créancier {n} SAS", address_line1="1 rue de la Paix",
                            postcode="75002", city="Paris", remittance_iban="FR7630006000011234567890189")
            client.mandates.append(Mandate(reference=f"MAN-RV{n}", signed_on=date(2025, 1, 1),
                                           starts_on=date(2025, 1, 1), commission_bp=1500, vat_bp=2000,
                                           fixed_fee_cents=2500 if n % 2 == 0 else 0))
            db.session.add(client)
        db.session.commit()
        ids = db.session.scalars(sa.select(Client.id).order_by(Client.id)).all()
        assert ids == list(range(1, CLIENTS + 1)), "the bench expects a fresh database"
        cases = max(1, payments // 4)
        params = {"n": payments, "c": cases, "now": NOW, "start": PERIOD_START, "end": PERIOD_END}
        started = time.perf_counter()
        with db.engine.begin() as connection:
            connection.execute(sa.text("SET session_replication_role = replica"))
            _insert(connection, Debtor, {
                "id": "g", "kind": "'person'", "first_name": "'Jeanne'", "last_name": "'Martin' || g",
                "created_at": ":now",
            }, "FROM generate_series(1, :c) AS g", params)
            _insert(connection, Case, {
                "id": "g", "reference": "'R' || lpad(g::text, 9, '0')", "client_id": f"1 + g % {CLIENTS}",
                "debtor_id": "g", "status": "'active'", "kind": "'b2c'", "opened_on": "CAST(:start AS date) - 90",
                "created_at": ":now",
            }, "FROM generate_series(1, :c) AS g", params)
            # Case k belongs to client 1 + k % 50; a payment's case is spread over all cases.
            case_of = "(1 + (g::bigint * 7919) % :c)"
            received = "CAST(:start AS date) + (g % 31)::int"
            amount = "(1000 + (g::bigint * 7877) % 200000)"
            commission = f"(({amount} * 1500 + 5000) / 10000)"
            _insert(connection, Payment, {
                "id": "g", "case_id": case_of, "client_id": f"1 + {case_of} % {CLIENTS}",
                "reference": "'P' || g", "amount_cents": amount, "received_on": received,
                "method": "'transfer'", "channel": "CASE WHEN g % 10 = 3 THEN 'direct' ELSE 'trust' END",
                "debtor_choice": "CAST('[]' AS json)", "idempotency_key": "'bench-' || g", "commission_bp": "1500",
                "commission_cents": commission, "commission_vat_cents": f"(({commission} * 2000 + 5000) / 10000)",
                "reversed_on": f"CASE WHEN g % 100 = 7 THEN least({received} + 3, CAST(:end AS date)) END",
                "reversal_reason": "CASE WHEN g % 100 = 7 THEN 'chèque impayé' ELSE '' END", "created_at": ":now",
            }, "FROM generate_series(1, :n) AS g", params)
            for table in ("debtor", "collection_case", "payment"):
                connection.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                ))
            connection.execute(sa.text("SET session_replication_role = DEFAULT"))
        print(f"generated {payments:,} payments on {cases:,} cases of {CLIENTS} clients "
              f"in {time.perf_counter() - started:.0f} s (not timed)", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        db.engine.dispose()
    return {"payments": payments, "cases": cases}


def timed_run(url: str) -> dict[str, int | float]:
    """Run the month's statements and commit; return the time and what was written, checked against payments."""
    from agency.db import db
    from money.models import Payment, Remittance, RemittanceLine
    from money.remittances.statements import run_remittances

    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        statements = run_remittances(PERIOD_END)
        db.session.commit()
        seconds = time.perf_counter() - started
        lines = db.session.scalar(sa.select(sa.func.count()).select_from(RemittanceLine))
        trust = db.session.scalar(sa.select(sa.func.sum(Remittance.trust_collected_cents)))
        expected = db.session.scalar(sa.select(sa.func.sum(Payment.amount_cents)).where(
            Payment.channel == "trust", Payment.reversed_on.is_(None)))
        if trust != expected:
            raise SystemExit(f"statements hold {trust} cents of trust money, the payments {expected}")
        db.engine.dispose()
    return {"statements": len(statements), "lines": lines, "trust_cents": trust, "run_s": seconds}


def run(payments: int = 1_000_000, url: str | None = None) -> float:
    """Build the database, time one monthly run over `payments` payments, print a small table; return seconds."""
    url = url or os.environ.get("BENCH_REMITTANCE_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    shape = set_up(url, payments)
    result = timed_run(url)
    rows = [
        ("payments in the month", f"{shape['payments']:,}"),
        ("cases", f"{shape['cases']:,}"),
        ("statements issued", f"{result['statements']:,}"),
        ("lines written", f"{result['lines']:,}"),
        ("trust money remitted", f"{result['trust_cents'] / 100:,.2f} €"),
        ("run and commit", f"{result['run_s']:.1f} s (target < {TARGET_S} s)"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(f"remittance payments={shape['payments']} statements={result['statements']} lines={result['lines']} "
          f"run_s={result['run_s']:.1f}", flush=True)
    return result["run_s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    seconds = run(args.payments, args.database_url)
    return 0 if seconds < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
