"""Time the end of cases on PostgreSQL: a bulk closing of 100,000 cases and the daily limitation job, over 1,000,000.

    python -m bench.closing [--cases N] [--close N] [--judicial N] [--database-url URL] [--redis-url URL] [--keep]

The database (BENCH_CLOSING_DATABASE_URL, else amiable_bench_closing on the local PostgreSQL) is dropped and
recreated, migrated, and filled by `bench.queue_data` (cases, claims, ledger, actions, promises) and
`bench.judicial`'s proceedings (one case in 20), set-based. To that this adds what limitation reads: the part
payments allocated to their claim (acknowledgements that restart it), one case in five between traders (five
years, and late interest from the due date), and one claim in ten due 330 days earlier, so that some claims
are near their date (alerts) and some prescribed.

The app runs in real mode (Redis: BENCH_CLOSING_REDIS_URL, else database 5 of the local server, emptied):
the closing reports a bulk closing asks (one job per chunk of 2,000) are written to the outbox in its
transaction and pushed to Redis once it commits; no worker runs, so they are queued, not rendered.

Timed, each committed:
- the bulk closing: `ask_batch` over the references of 100,000 open cases (one reason, with evidence),
  then `close_batch_job` (interest to the day, write-offs, closings, audit events, cases, promises, plans,
  the reports asked). Checked afterwards: one closing, one audit event and a zero balance per case.
- the daily limitation job (`refresh_limitations_job`, every claim's date stored), the limitation alerts
  that read what it stored (`alerts.rules.fire_limitations`), and the job again (nothing changed).
Baselines, rolled back: the bare UPDATE of the 100,000 cases' status; the bare writes of the closing (the
same UPDATE, one write-off entry and one audit event per case, by INSERT … SELECT); the bare INSERT … SELECT
of one `claim_limitation` row per claim (its due date plus two years).

The last line reads `closing cases=… bulk_close_s=… limitation_s=…` (limitation_s: the job and its alerts).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.judicial import set_up as judicial_set_up
from bench.placement import recreate_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/amiable_bench_closing"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
REASON = "unfindable"
EVIDENCE = "Recherches négatives : courrier revenu NPAI, numéros invalides, aucune adresse nouvelle"
OPEN = "status NOT IN ('paid', 'closed')"
LIMITATION_SHAPE = [
    # A payment allocated to its claim (one claim per case, of the case's id) acknowledges the debt.
    "UPDATE ledger_entry SET claim_id = case_id WHERE kind = 'payment'",
    "UPDATE collection_case SET kind = 'b2b' WHERE id % 5 = 1",
    "UPDATE claim SET due_date = due_date - 330, issue_date = issue_date - 330 WHERE id % 10 = 0",
    "UPDATE ledger_entry SET effective_on = effective_on - 330 WHERE kind = 'principal' AND claim_id % 10 = 0",
]
# Every eighth open case, 100,000 of them: spread over clients, statuses and ages.
CHOSEN = f"""
    SELECT reference FROM (SELECT reference, row_number() OVER (ORDER BY id) AS n FROM collection_case
                           WHERE {OPEN}) AS open_cases
    WHERE n % 8 = 0 ORDER BY n LIMIT :close"""  # noqa: S608 - constants of this module only
BARE_UPDATE = "UPDATE collection_case SET status = 'closed', closed_on = :today WHERE reference = ANY(:refs)"
BARE_WRITE_OFFS = """
    INSERT INTO ledger_entry (case_id, client_id, kind, amount_cents, currency, effective_on, description, created_at)
    SELECT c.id, c.client_id, 'write_off', -b.owed, 'EUR', :today, 'Clôture', now()
    FROM collection_case c
    JOIN (SELECT case_id, sum(amount_cents) AS owed FROM ledger_entry GROUP BY case_id) AS b ON b.case_id = c.id
    WHERE c.reference = ANY(:refs) AND b.owed > 0"""
BARE_AUDIT = """
    INSERT INTO audit_event (created_at, actor_label, action, subject_type, subject_id, client_id, before, after)
    SELECT now(), 'bench', 'case.closed', 'collection_case', c.id, c.client_id,
           json_build_object('status', c.status), json_build_object('status', 'closed')
    FROM collection_case c WHERE c.reference = ANY(:refs)"""
# Into a copy of `claim_limitation` with its indexes, so that it runs on a database already measured (--keep).
BARE_LIMITATION_TABLE = "CREATE TEMP TABLE bare_limitation (LIKE claim_limitation INCLUDING ALL)"
BARE_LIMITATION = """
    INSERT INTO bare_limitation (claim_id, case_id, client_id, period_years, started_on, event_kind, event_id,
                                  suspended_days, suspended_since, limitation_on, computed_at)
    SELECT id, case_id, client_id, 2, due_date, 'due_date', NULL, 0, NULL,
           CAST(due_date + interval '2 years' AS date), now()
    FROM claim"""
CHECKS = {
    "closings": "SELECT count(*) FROM case_closing WHERE status = 'closed'",
    "closed events": "SELECT count(*) FROM audit_event WHERE action = 'case.closed'",
    "still owed": """SELECT count(*) FROM (SELECT e.case_id FROM ledger_entry e
                       JOIN case_closing k ON k.case_id = e.case_id GROUP BY e.case_id
                       HAVING sum(e.amount_cents) > 0) AS owed""",
    "reports queued": "SELECT count(*) FROM job_outbox WHERE func LIKE '%closing_reports_job'",
}


def set_up(url: str, cases: int, judicial: int) -> None:
    """Generate `bench.judicial`'s agency (cases, proceedings), then what limitation reads, set-based."""
    judicial_set_up(url, cases, judicial)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("SET session_replication_role = replica"))
        for statement in LIMITATION_SHAPE:
            connection.execute(sa.text(statement))
        connection.execute(sa.text("SET session_replication_role = DEFAULT"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE ledger_entry, claim, collection_case"))
    engine.dispose()


def chosen_references(url: str, close: int) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        references = list(connection.execute(sa.text(CHOSEN), {"close": close}).scalars())
    engine.dispose()
    if len(references) < close:
        raise SystemExit(f"only {len(references):,} open cases to choose from, {close:,} asked")
    return references


def time_bare(url: str, references: list[str]) -> dict[str, float]:
    """Time the baselines, each rolled back; return seconds by name."""
    engine = sa.create_engine(url)
    params = {"refs": references, "today": datetime.now(UTC).date()}
    times = {}
    with engine.connect() as connection:
        for name, statements in (("bare UPDATE status", [BARE_UPDATE]),
                                 ("bare closing writes", [BARE_WRITE_OFFS, BARE_AUDIT, BARE_UPDATE]),
                                 ("bare INSERT per claim", [BARE_LIMITATION_TABLE, BARE_LIMITATION])):
            started = time.perf_counter()
            for statement in statements:
                connection.execute(sa.text(statement), params)
            times[name] = time.perf_counter() - started
            connection.rollback()
    engine.dispose()
    return times


def time_bulk_close(app, references: list[str]) -> tuple[float, float, int]:
    """Ask the batch (committed), then run its job (which commits); return (ask s, job s, cases closed)."""
    from agency.db import db
    from agency.models import User
    from cases.closing.bulk import ask_batch, close_batch_job

    with app.app_context():
        manager = db.session.scalar(sa.select(User).where(User.email == "manager@bench.example"))
        started = time.perf_counter()
        batch = ask_batch("\n".join(references), REASON, evidence=EVIDENCE, actor=manager)
        db.session.commit()
        ask_s = time.perf_counter() - started
        batch_id = batch.id
        db.session.remove()
        started = time.perf_counter()
        closed = close_batch_job(batch_id)
        job_s = time.perf_counter() - started
        db.session.remove()
    return ask_s, job_s, closed


def time_limitation(app) -> dict[str, tuple[float, int]]:
    """Run the daily limitation job, the limitation alerts, and the job again, each committed."""
    from agency.clock import today
    from agency.db import db, utcnow
    from alerts.rules import fire_limitations
    from cases.closing.limitation_jobs import refresh_limitations_job

    timed = {}
    with app.app_context():
        started = time.perf_counter()
        stored = refresh_limitations_job()
        timed["limitation job"] = (time.perf_counter() - started, stored)
        db.session.remove()
        started = time.perf_counter()
        fired = fire_limitations(today(), utcnow())
        db.session.commit()
        timed["limitation alerts"] = (time.perf_counter() - started, fired)
        db.session.remove()
        started = time.perf_counter()
        again = refresh_limitations_job()
        timed["limitation job, again"] = (time.perf_counter() - started, again)
        db.session.remove()
    return timed


def check(url: str, closed: int) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = {name: connection.execute(sa.text(query)).scalar_one() for name, query in CHECKS.items()}
    engine.dispose()
    found["closed"] = closed
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--close", type=int, default=100_000)
    parser.add_argument("--judicial", type=int, default=50_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_CLOSING_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_CLOSING_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is (already generated)")
    args = parser.parse_args(argv)
    if args.judicial * 20 > args.cases:
        raise SystemExit(f"--judicial {args.judicial} needs at least {args.judicial * 20} cases")
    if not args.keep:
        recreate_database(args.database_url)
        set_up(args.database_url, args.cases, args.judicial)
    from redis import Redis

    Redis.from_url(args.redis_url).flushdb()
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "REDIS_URL": args.redis_url, "TESTING": False})
    references = chosen_references(args.database_url, args.close)
    bare = time_bare(args.database_url, references)
    ask_s, job_s, closed = time_bulk_close(app, references)
    found = check(args.database_url, closed)
    limitation = time_limitation(app)
    close_s = ask_s + job_s
    limitation_s = limitation["limitation job"][0] + limitation["limitation alerts"][0]
    print(f"  checks: {found}")
    print(f"{'measure':<26}{'s':>9}{'rows':>11}{'× bare':>9}{'target s':>10}")
    rows = [("bulk close: ask_batch", ask_s, len(references), "bare UPDATE status", None),
            ("bulk close: job", job_s, closed, "bare closing writes", None),
            ("bulk close, in all", close_s, closed, "bare closing writes", 60),
            *((name, seconds, count, "bare INSERT per claim", None) for name, (seconds, count) in limitation.items()),
            ("limitation, job + alerts", limitation_s, limitation["limitation job"][1], "bare INSERT per claim", 30)]
    for name, seconds, count, against, target in rows:
        print(f"{name:<26}{seconds:>9.2f}{count:>11,}{seconds / bare[against]:>9.1f}{target or '':>10}")
    for name, seconds in bare.items():
        print(f"{name:<26}{seconds:>9.2f}")
    print(f"closing cases={args.cases} bulk_close_s={close_s:.2f} limitation_s={limitation_s:.2f}")
    wrong = (found["closings"] != closed or found["closed events"] != closed or found["still owed"]
             or closed != len(references))
    if wrong:
        print(f"  MISMATCH: {found} for {len(references):,} cases asked")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
