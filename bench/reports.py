"""Time the managers' figures on PostgreSQL: the dashboard and the aged balance over 1,000,000 cases.

    python -m bench.reports [--cases N] [--loads 20] [--database-url URL]

The database (BENCH_REPORTS_DATABASE_URL, else amiable_bench_reports on the local PostgreSQL) is dropped
and recreated, migrated, and filled by `bench.queue_data` (cases, claims, ledger, 3 actions per case,
promises), to which this adds one payment per case with its ledger entry (not timed). The figures are
then refreshed once (`reports.facts.refresh_figures`, the hourly job, with the channel lists, timed and
committed), and the
dashboard is read `loads` times for the whole agency over the last 400 days, as the page does, each time
in a fresh session; p95 is reported. The aged balance is then recomputed for the day (`reports.aged_snapshot.
refresh_aged`, the hourly job, timed and committed) and its page, `/reports/aged`, loaded `loads` times
through the test client by a signed-in manager, with the first page of its largest drill-down list. Last,
the call channel's drill-down list is loaded once computed live, then as stored by the dashboard's refresh,
`loads` times.
Last, the monthly reports of the 50 clients for the month before the bench's clock are produced as the
daily job does (`reports.jobs.monthly_reports_batch_job`: figures, PDF, CSV, stored), timed with their
commits.

The last line reads `reports cases=… dashboard_p95_ms=… aged_p95_ms=… monthly_reports_s=…`.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.placement import make_app, recreate_database
from bench.queue_data import generate, seed_people

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/amiable_bench_reports"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BENCH_PASSWORD = "bench-reports-manager"  # noqa: S105  (a throwaway database's manager)
# The agency's clients: the monthly reports are produced for each of them, for the month before NOW.
CLIENTS = 50

# One payment per case, received 1-60 days after it was opened (never in the future), 2 % reversed later.
PAYMENTS = [
    """INSERT INTO payment (id, case_id, client_id, reference, amount_cents, currency, received_on, method, channel,
                           payer_reference, debtor_choice, note, idempotency_key, commission_bp, commission_cents,
                           commission_vat_cents, credit_cents, balance_after_cents, receipt_path, receipt_sha256,
                           reversal_reason, created_at, reversed_on)
       SELECT c.id, c.id, c.client_id, 'BQ-' || c.id, 1000 + (c.id * 31) % 20000, 'EUR',
              least(CAST(:today AS date), c.opened_on + 1 + CAST((c.id * 13) % 60 AS integer)), 'transfer', 'trust',
              '', '[]', '', 'bq-' || c.id, 1500, 0, 0, 0, 0, '', '', '', :now,
              CASE WHEN c.id % 50 = 0 THEN CAST(:today AS date) ELSE NULL END
       FROM collection_case c""",
    """INSERT INTO ledger_entry (id, case_id, client_id, kind, amount_cents, currency, effective_on, description,
                                created_at, payment_id, applies_to)
       SELECT 10 * :n + p.id, p.case_id, p.client_id, 'payment', -p.amount_cents, 'EUR', p.received_on, '', :now,
              p.id, 'principal'
       FROM payment p""",
    "SELECT setval(pg_get_serial_sequence('payment', 'id'), (SELECT max(id) FROM payment))",
    "SELECT setval(pg_get_serial_sequence('ledger_entry', 'id'), (SELECT max(id) FROM ledger_entry))",
]


def set_up(url: str, cases: int) -> None:
    """Migrate, create the people, generate the cases, actions and payments."""
    from flask_migrate import upgrade

    from agency.db import db

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade(revision="heads")
        finally:
            logging.disable(logging.NOTSET)
        seed_people(db.session, NOW.date(), CLIENTS)
        db.session.commit()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            shape = generate(connection, cases, NOW, CLIENTS)
            connection.execute(sa.text("SET session_replication_role = replica"))
            for statement in PAYMENTS:
                connection.execute(sa.text(statement), {"n": cases, "today": NOW.date(), "now": NOW})
            connection.execute(sa.text("SET session_replication_role = DEFAULT"))
        print(f"generated {shape.cases:,} cases, {shape.actions:,} actions, {cases:,} payments "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        db.engine.dispose()


def time_refresh(url: str) -> float:
    """Refresh the pre-aggregated figures once, committed; return the seconds it took."""
    from agency.db import db
    from reports.facts import refresh_figures

    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        refreshed = refresh_figures()
        db.session.commit()
        seconds = time.perf_counter() - started
        print(f"  refreshed {refreshed.cases:,} cases in {seconds:.1f} s", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    return seconds


def time_dashboard(url: str, loads: int) -> list[float]:
    """Read the whole agency's dashboard `loads` times; return each time in milliseconds."""
    from agency.db import db
    from reports.dashboard import dashboard
    from reports.filters import Filters

    app = make_app(url)
    times = []
    with app.app_context():
        filters = Filters(NOW.date() - timedelta(days=400), NOW.date())
        for _ in range(loads):
            started = time.perf_counter()
            figures = dashboard(filters, NOW.date())
            times.append((time.perf_counter() - started) * 1000)
            db.session.remove()
        print(f"  placed {figures.money.placed:,} c, collected {figures.money.collected:,} c, "
              f"{figures.counts.opened:,} cases, {len(figures.curves)} curves", flush=True)
    return times


def time_aged_refresh(url: str) -> float:
    """Recompute the aged balance as of the day once, committed; return the seconds it took."""
    from agency.db import db
    from reports.aged_snapshot import refresh_aged

    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        snapshot = refresh_aged(NOW.date())
        db.session.commit()
        seconds = time.perf_counter() - started
        print(f"  aged balance of {snapshot.cases:,} cases recomputed in {seconds:.1f} s", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE aged_case"))
            connection.execute(sa.text("VACUUM ANALYZE aged_cell"))
    return seconds


def manager_client(url: str):
    """Return a test client signed in through the login form as the bench's manager, and its app."""
    import re

    import pyotp

    from agency.db import db, utcnow
    from agency.models import Role, User
    from app import create_app

    # No scheduler thread: the hourly refreshes must not run while the pages are timed.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "TESTING": False, "SCHEDULER_THREAD": False})
    with app.app_context():
        manager = db.session.scalar(sa.select(User).where(User.role == Role.MANAGER.value).limit(1))
        manager.set_password(BENCH_PASSWORD)
        # A manager signs in with a second factor: the bench's has one enrolled, and types its code.
        secret = manager.totp_secret or pyotp.random_base32()
        manager.totp_secret, manager.totp_last_step = secret, None
        manager.totp_enabled_at = manager.totp_enabled_at or utcnow()
        email = manager.email
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    token = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    signed_in = client.post("/login", data={"email": email, "password": BENCH_PASSWORD,
                                            "csrf_token": token.search(client.get("/login").get_data(as_text=True))[1]})
    if signed_in.status_code == 302 and "/login/code" in signed_in.headers["Location"]:
        page = client.get(signed_in.headers["Location"]).get_data(as_text=True)
        signed_in = client.post(signed_in.headers["Location"],
                                data={"code": pyotp.TOTP(secret).now(), "csrf_token": token.search(page)[1]})
    if signed_in.status_code != 302 or "/login" in signed_in.headers["Location"]:
        raise SystemExit("the manager could not sign in")
    return app, client


def _load(client, path: str, loads: int) -> list[float]:
    times = []
    for _ in range(loads):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return times


def time_aged(url: str, loads: int) -> tuple[list[float], list[float]]:
    """Load the aged balance page and its whole-agency drill-down list as a manager; return each time in ms."""
    _app, client = manager_client(url)
    return _load(client, "/reports/aged", loads), _load(client, "/reports/aged/cases", loads)


def time_channel_list(url: str, loads: int) -> tuple[float, list[float]]:
    """Time the call channel's drill-down list computed live once, then pre-computed `loads` times; return ms.

    The lists are stored by the dashboard's refresh, from the attributions it counts: they are dropped for the
    live load, then stored again by a refresh.
    """
    from agency.db import db
    from reports.aged_models import ChannelCase, ChannelRefresh
    from reports.facts import refresh_figures

    app, client = manager_client(url)
    since = (NOW.date() - timedelta(days=400)).isoformat()
    path = f"/reports/cases?figure=channel-call&from={since}&to={NOW.date().isoformat()}"
    with app.app_context():
        db.session.execute(sa.delete(ChannelCase))
        db.session.execute(sa.delete(ChannelRefresh))
        db.session.commit()
    live = _load(client, path, 1)[0]
    with app.app_context():
        refresh_figures()
        db.session.commit()
    return live, _load(client, path, loads)


def time_monthly(url: str) -> tuple[float, int]:
    """Produce every client's report for the month before NOW as the daily job does, committed; return (s, reports).

    The batches run one after the other in this process, as one worker would run them.
    """
    from agency.db import db
    from reports.jobs import MONTHLY_BATCH, monthly_reports_batch_job
    from reports.models import MonthlyReport
    from reports.monthly_figures import clients_due, previous_month

    app = make_app(url)
    with app.app_context():
        month = previous_month(NOW.date())
        db.session.execute(sa.delete(MonthlyReport).where(MonthlyReport.month == month))  # from an earlier run
        db.session.commit()
        due = clients_due(month)
        started = time.perf_counter()
        produced = sum(monthly_reports_batch_job(due[i:i + MONTHLY_BATCH], month.isoformat())
                       for i in range(0, len(due), MONTHLY_BATCH))
        seconds = time.perf_counter() - started
        db.session.remove()
        return seconds, produced


def p95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_REPORTS_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is")
    args = parser.parse_args(argv)
    if not args.keep:
        recreate_database(args.database_url)
        set_up(args.database_url, args.cases)
    refresh_s = time_refresh(args.database_url)
    times = time_dashboard(args.database_url, args.loads)
    aged_refresh_s = time_aged_refresh(args.database_url)
    aged, aged_list = time_aged(args.database_url, args.loads)
    channel_live, channel = time_channel_list(args.database_url, args.loads)
    monthly_s, monthly_count = time_monthly(args.database_url)
    print(f"{'measure':<12}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, measured in (("dashboard", times), ("aged", aged), ("aged list", aged_list), ("call list", channel)):
        print(f"{name:<12}{statistics.median(measured):>10.0f}{p95(measured):>10.0f}{max(measured):>10.0f}")
    print(f"{'refresh':<12}{refresh_s * 1000:>10.0f}")
    print(f"{'aged refresh':<12}{aged_refresh_s * 1000:>10.0f}")
    print(f"{'call, live':<12}{channel_live:>10.0f}")
    print(f"monthly reports: {monthly_count} produced (PDF + CSV, stored) in {monthly_s:.1f} s")
    print(f"reports cases={args.cases} dashboard_p95_ms={p95(times):.0f} aged_p95_ms={p95(aged):.0f} "
          f"monthly_reports_s={monthly_s:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
