"""Time judicial escalation on PostgreSQL: the daily run and the managers' list over 1,000,000 cases.

    python -m bench.judicial [--cases N] [--judicial N] [--loads 20] [--database-url URL] [--keep]

The database (BENCH_JUDICIAL_DATABASE_URL, else amiable_bench_judicial on the local PostgreSQL) is dropped
and recreated, migrated, and filled by `bench.queue_data` (cases, claims, ledger, actions, promises), to
which this adds one proceeding per 20 cases (50,000) with its steps and titles, set-based, as the case
pages would have recorded them in the months before today: files in preparation, filed requests, orders
to serve, orders served (opposition window open or closed), small-claims invitations, titles to enforce,
referrals, a few paid. About 0.1 % of the orders and of the invitations had their deadline yesterday:
silence decides on them today. The next deadlines are stored as on the day of each proceeding's last step,
so the run has the opposition windows closed since to move on.

Timed, each committed: the daily job (`cases.judicial.jobs.judicial_daily_job`: silence, then every next
deadline), a second run of it (nothing left to decide), and the alert rule before deadlines
(`alerts.rules.fire_judicial_deadlines`). The managers' list `/judicial` is loaded `loads` times each
through the test client as a signed-in manager: its first page, a deep page, one client's first page and a
stage's third page; p95 over all loads. The same layout around a small form (`/alerts/settings`) shows what
the menu's counts cost every page; the list's own queries are timed alone too. Baselines: the deadlines' bare SQL (one UPDATE … FROM of every deadline-stage
proceeding from its latest key step, rolled back) and the list page's bare SQL (the same SELECT, LIMIT 50).
With `cases.judicial.pack` present, the pack of a proceeding with 20 invoices is rendered 3 times (p50).

The last line reads `judicial cases=… deadlines_s=… list_p95_ms=… pack_s=…`.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import statistics
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa

from bench.placement import make_app, recreate_database
from bench.queue_data import generate, seed_people
from bench.reports import manager_client, p95

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/amiable_bench_judicial"
CLIENTS = 50
EVERY = 20  # one case in 20 has a proceeding
# The stage of proceeding k, by k % 100, and its last step's date relative to today (:d, in days).
STAGE = ("CASE WHEN k % 100 < 10 THEN 'preparing' WHEN k % 100 < 20 THEN 'filed' WHEN k % 100 < 40 THEN "
         "'order_issued' WHEN k % 100 < 60 THEN 'served' WHEN k % 100 < 75 THEN 'invited' WHEN k % 100 < 90 "
         "THEN 'enforceable' WHEN k % 100 < 95 THEN 'referred' ELSE 'paid' END")
ROUTE = ("CASE WHEN k % 100 BETWEEN 60 AND 74 THEN 'small_claims' WHEN k % 100 BETWEEN 90 AND 94 THEN 'referral' "
         "WHEN k % 2 = 0 THEN 'order_commercial' ELSE 'order_judicial' END")
# The day of the stage's step: orders issued 0-87 days ago (3 months to serve), one in a thousand exactly
# three months and a day ago; served 0-74 days ago; invitations 0-29 days ago, one in a thousand a month
# and a day ago; titles and the rest 0-199 days ago.
STEP_DAY = ("CASE WHEN k % 100 BETWEEN 20 AND 39 THEN CASE WHEN k % 1000 = 20 THEN "
            "CAST((CAST(:today AS date) - interval '1 day' - interval '3 months') AS date) "
            "ELSE CAST(:today AS date) - (k * 7) % 88 END "
            "WHEN k % 100 BETWEEN 40 AND 59 THEN CAST(:today AS date) - (k * 7) % 75 "
            "WHEN k % 100 BETWEEN 60 AND 74 THEN CASE WHEN k % 1000 = 60 THEN "
            "CAST((CAST(:today AS date) - interval '1 day' - interval '1 month') AS date) "
            "ELSE CAST(:today AS date) - (k * 7) % 30 END "
            "ELSE CAST(:today AS date) - (k * 7) % 200 END")
STATEMENTS = [
    f"""CREATE TEMP TABLE bench_p AS
        SELECT k, k * {EVERY} AS case_id, {STAGE} AS stage, {ROUTE} AS route, {STEP_DAY} AS day
        FROM generate_series(1, :judicial) AS k""",  # noqa: S608 - constants of this module only
    """INSERT INTO judicial_proceeding (id, reference, case_id, client_id, route, suggested_route,
                                       suggestion_reasons, route_reason, court, form, stage, claimed_cents, currency,
                                       costs_advanced_by, next_deadline_on, next_deadline_kind, case_status_before,
                                       pack_path, pack_sha256, created_at)
       SELECT b.k, 'JUD-26-' || lpad(b.k::text, 6, '0'), c.id, c.client_id, b.route, b.route, '[]', '',
              'Tribunal', '', b.stage, 50000 + (b.k * 7919) % 5000000, 'EUR', 'client', NULL, '', 'active', '', '',
              :now
       FROM bench_p b JOIN collection_case c ON c.id = b.case_id""",
    # The approvals, 30 days before the stage's step.
    """INSERT INTO judicial_step (proceeding_id, kind, occurred_on, deadline_on, note, internal, created_at)
       SELECT b.k, s.kind, b.day - 30, NULL, '', false, :now
       FROM bench_p b CROSS JOIN (VALUES ('proposed'), ('manager_approved'), ('client_approved')) AS s(kind)""",
    """INSERT INTO judicial_step (proceeding_id, kind, occurred_on, deadline_on, note, internal, created_at)
       SELECT b.k, 'filed', b.day - 10, NULL, '', false, :now FROM bench_p b
       WHERE b.stage IN ('filed', 'order_issued', 'served', 'enforceable')""",
    """INSERT INTO judicial_step (proceeding_id, kind, occurred_on, deadline_on, note, internal, created_at)
       SELECT b.k, 'order_issued', CASE WHEN b.stage = 'order_issued' THEN b.day ELSE b.day - 5 END,
              CAST((CASE WHEN b.stage = 'order_issued' THEN b.day ELSE b.day - 5 END) + interval '3 months' AS date),
              '', false, :now
       FROM bench_p b WHERE b.stage IN ('order_issued', 'served', 'enforceable')""",
    """INSERT INTO judicial_step (proceeding_id, kind, occurred_on, deadline_on, note, internal, created_at)
       SELECT b.k, 'served', CASE WHEN b.stage = 'served' THEN b.day ELSE b.day - 2 END,
              CAST((CASE WHEN b.stage = 'served' THEN b.day ELSE b.day - 2 END) + interval '2 months' AS date),
              '', false, :now
       FROM bench_p b WHERE b.stage IN ('served', 'enforceable')""",
    """INSERT INTO judicial_step (proceeding_id, kind, occurred_on, deadline_on, note, internal, created_at)
       SELECT b.k, s.kind, b.day, s.deadline, '', false, :now
       FROM bench_p b CROSS JOIN LATERAL (VALUES
           ('invitation_sent', CAST(b.day + interval '1 month' AS date), 'invited'),
           ('enforceable', NULL, 'enforceable'), ('referred', NULL, 'referred'), ('paid', NULL, 'paid'))
           AS s(kind, deadline, stage)
       WHERE s.stage = b.stage""",
    """INSERT INTO judicial_title (proceeding_id, kind, court, number, issued_on, served_on, enforceable_on,
                                  expires_on, principal_cents, interest_cents, article_700_cents, costs_cents,
                                  created_at)
       SELECT b.k, 'order', 'Tribunal', 'IP-' || b.k, b.day - 5, b.day - 2, b.day,
              CAST(b.day + interval '10 years' AS date), 50000, 0, 0, 0, :now
       FROM bench_p b WHERE b.stage = 'enforceable'""",
    # The next deadline as stored when the last step was recorded (the opposition window then still open).
    """UPDATE judicial_proceeding p SET next_deadline_on = d.due, next_deadline_kind = d.kind
       FROM (SELECT b.k, CASE b.stage WHEN 'order_issued' THEN CAST(b.day + interval '3 months' AS date)
                                      WHEN 'served' THEN CAST(b.day + interval '1 month' AS date)
                                      WHEN 'invited' THEN CAST(b.day + interval '1 month' AS date)
                                      WHEN 'enforceable' THEN CAST(b.day + interval '10 years' AS date) END AS due,
                    CASE b.stage WHEN 'order_issued' THEN 'serve_by' WHEN 'served' THEN 'opposition_until'
                                 WHEN 'invited' THEN 'answer_by' WHEN 'enforceable' THEN 'title_expires' END AS kind
             FROM bench_p b) AS d
       WHERE p.id = d.k AND d.due IS NOT NULL""",
    """UPDATE collection_case c SET status = 'escalated', next_action_at = NULL FROM bench_p b
       WHERE c.id = b.case_id AND b.stage <> 'paid'""",
    "SELECT setval(pg_get_serial_sequence('judicial_proceeding', 'id'), (SELECT max(id) FROM judicial_proceeding))",
    "SELECT setval(pg_get_serial_sequence('judicial_step', 'id'), (SELECT max(id) FROM judicial_step))",
    "SELECT setval(pg_get_serial_sequence('judicial_title', 'id'), (SELECT max(id) FROM judicial_title))",
]
# What the database alone needs to store every next deadline: one UPDATE … FROM the latest key steps.
BARE_DEADLINES = """
    UPDATE judicial_proceeding p SET next_deadline_on = s.deadline_on
    FROM (SELECT proceeding_id, max(id) AS step_id FROM judicial_step
          WHERE kind IN ('order_issued', 'order_partly_granted', 'served', 'invitation_sent')
          GROUP BY proceeding_id) AS latest
    JOIN judicial_step s ON s.id = latest.step_id
    WHERE latest.proceeding_id = p.id
      AND p.stage IN ('order_issued', 'served', 'invited', 'enforceable', 'enforcement', 'partly_paid')"""
BARE_LIST = """
    SELECT p.id, p.reference, c.id, c.reference, d.kind, d.company_name, d.title, d.first_name, d.last_name,
           cl.name, p.route, p.stage, p.next_deadline_kind, p.next_deadline_on, p.claimed_cents, p.currency
    FROM judicial_proceeding p JOIN collection_case c ON c.id = p.case_id JOIN debtor d ON d.id = c.debtor_id
    JOIN client cl ON cl.id = p.client_id
    WHERE p.stage NOT IN ('refused', 'withdrawn', 'order_refused', 'paid', 'unenforceable', 'lapsed', 'declined')
    ORDER BY p.next_deadline_on ASC NULLS LAST, p.id LIMIT 50"""


def set_up(url: str, cases: int, judicial: int) -> date:
    """Migrate, create the people, generate the cases and the proceedings; return the bench's today."""
    from flask_migrate import upgrade

    from agency.clock import today
    from agency.db import db

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade(revision="heads")
        finally:
            logging.disable(logging.NOTSET)
        on = today()
        now = datetime.now(UTC)
        seed_people(db.session, on, CLIENTS)
        db.session.commit()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            shape = generate(connection, cases, now, CLIENTS)
            connection.execute(sa.text("SET session_replication_role = replica"))
            for statement in STATEMENTS:
                connection.execute(sa.text(statement), {"judicial": judicial, "today": on, "now": now})
            connection.execute(sa.text("SET session_replication_role = DEFAULT"))
        print(f"generated {shape.cases:,} cases, {judicial:,} proceedings in {time.perf_counter() - started:.0f} s",
              flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        db.engine.dispose()
        return on


def time_daily(url: str) -> tuple[float, dict, float, dict]:
    """Run the daily job twice, each committed; return (seconds, counts) of each run."""
    from agency.db import db
    from cases.judicial.jobs import judicial_daily_job

    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        first = judicial_daily_job()
        first_s = time.perf_counter() - started
        db.session.remove()
        started = time.perf_counter()
        second = judicial_daily_job()
        second_s = time.perf_counter() - started
        db.session.remove()
    return first_s, first, second_s, second


def time_alerts(url: str) -> tuple[float, int]:
    """Fire the alerts before judicial deadlines once, committed; return (seconds, alerts fired)."""
    from agency.clock import today
    from agency.db import db, utcnow
    from alerts.rules import fire_judicial_deadlines

    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        fired = fire_judicial_deadlines(today(), utcnow())
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
    return seconds, fired


def time_bare(url: str, loads: int) -> tuple[float, list[float]]:
    """Time the bare SQL baselines: the deadlines' UPDATE (rolled back), and the list's SELECT `loads` times."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        started = time.perf_counter()
        connection.execute(sa.text(BARE_DEADLINES))
        update_s = time.perf_counter() - started
        connection.rollback()
        times = []
        for _ in range(loads):
            started = time.perf_counter()
            connection.execute(sa.text(BARE_LIST)).all()
            times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return update_s, times


def time_list(url: str, loads: int) -> dict[str, list[float]]:
    """Load the list's first page, a deep page and one client's page `loads` times each; return ms by kind.

    Case k × 20 belongs to client 1 + (20 k) % 50: client 21 has the proceedings of k = 1, 6, 11…
    """
    _app, client = manager_client(url)
    paths = {"first page": "/judicial", "page 400": "/judicial?page=400", "one client": "/judicial?client=21",
             "one stage": "/judicial?stage=served&page=3"}
    # The same layout around a small form: what every page of a manager costs (the menu's counts).
    paths["bare page"] = "/alerts/settings"
    times: dict[str, list[float]] = {}
    for name, path in paths.items():
        client.get(path)  # warm the templates
        times[name] = []
        for _ in range(loads):
            started = time.perf_counter()
            response = client.get(path)
            times[name].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or (name != "bare page" and b'data-testid="proceeding"' not in response.data):
                raise SystemExit(f"{path} answered {response.status_code} without proceedings")
    return times


def time_board(url: str, loads: int) -> dict[str, list[float]]:
    """Time the list's own queries (`board.open_proceedings`), without the page around them; return ms by kind."""
    from agency.db import db
    from cases.judicial import board

    app = make_app(url)
    filters = {"first page": (board.BoardFilters(), 1), "page 400": (board.BoardFilters(), 400),
               "one client": (board.BoardFilters(client_id=21), 1)}
    times: dict[str, list[float]] = {}
    with app.app_context():
        for name, (chosen, page) in filters.items():
            board.open_proceedings(chosen, page)
            times[name] = []
            for _ in range(loads):
                started = time.perf_counter()
                board.open_proceedings(chosen, page)
                times[name].append((time.perf_counter() - started) * 1000)
            db.session.remove()
    return times


PACK_CLAIMS = """
    INSERT INTO claim (case_id, client_id, invoice_number, issue_date, due_date, amount_cents, currency, description,
                       created_at)
    SELECT c.id, c.client_id, 'FP-' || c.id || '-' || g, c.opened_on - 90 + g, c.opened_on - 60 + g,
           10000 + g * 1234, 'EUR', '', now()
    FROM collection_case c, generate_series(2, 20) AS g WHERE c.id = :case_id"""
PACK_LEDGER = """
    INSERT INTO ledger_entry (case_id, client_id, claim_id, kind, amount_cents, currency, effective_on, description,
                              created_at)
    SELECT cl.case_id, cl.client_id, cl.id, 'principal', cl.amount_cents, 'EUR', cl.due_date, '', now()
    FROM claim cl WHERE cl.case_id = :case_id AND cl.invoice_number LIKE 'FP-%'"""


def time_pack(url: str, runs: int = 3) -> str:
    """Render the pack of a preparing proceeding given 20 invoices; return p50 seconds, or n/a and why."""
    if importlib.util.find_spec("cases.judicial.pack") is None:
        return "n/a"
    from agency.clock import today
    from agency.db import db
    from agency.models import AgencyProfile
    from cases.judicial.pack import render_pack
    from cases.models import Proceeding

    app = make_app(url)
    with app.app_context():
        proceeding = db.session.scalar(sa.select(Proceeding).where(Proceeding.stage == "preparing",
                                                                   Proceeding.route == "order_commercial").limit(1))
        for statement in (PACK_CLAIMS, PACK_LEDGER):
            db.session.execute(sa.text(statement), {"case_id": proceeding.case_id})
        agency = db.session.get(AgencyProfile, 1) or AgencyProfile(
            id=1, name="Agence Bench", address_line1="1 rue de la Paix", postcode="69001", city="Lyon")
        db.session.add(agency)
        db.session.flush()
        seconds = []
        try:
            for _ in range(runs):
                started = time.perf_counter()
                render_pack(proceeding, agency, today())
                seconds.append(time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - the pack is someone else's work in progress: say why, go on
            print(f"  pack not rendered: {type(exc).__name__}: {exc}", flush=True)
            return "n/a"
        finally:
            db.session.rollback()
    return f"{statistics.median(seconds):.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--judicial", type=int, default=50_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_JUDICIAL_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is")
    args = parser.parse_args(argv)
    if args.judicial * EVERY > args.cases:
        raise SystemExit(f"--judicial {args.judicial} needs at least {args.judicial * EVERY} cases")
    if not args.keep:
        recreate_database(args.database_url)
        set_up(args.database_url, args.cases, args.judicial)
    bare_update_s, bare_list = time_bare(args.database_url, args.loads)
    daily_s, counts, again_s, again = time_daily(args.database_url)
    alerts_s, fired = time_alerts(args.database_url)
    lists = time_list(args.database_url, args.loads)
    queries = time_board(args.database_url, args.loads)
    pack_s = time_pack(args.database_url)
    bare_page = lists.pop("bare page")
    every_load = [t for measured in lists.values() for t in measured]
    print(f"  daily run: {counts}; again: {again}; alerts fired: {fired:,}")
    print(f"{'measure':<22}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'× bare':>10}")
    print(f"{'daily job':<22}{daily_s * 1000:>10.0f}{'':>20}{daily_s / bare_update_s:>10.1f}")
    print(f"{'daily job, again':<22}{again_s * 1000:>10.0f}{'':>20}{again_s / bare_update_s:>10.1f}")
    print(f"{'bare UPDATE … FROM':<22}{bare_update_s * 1000:>10.0f}")
    print(f"{'deadline alerts':<22}{alerts_s * 1000:>10.0f}")
    for name, measured in lists.items():
        print(f"{'list, ' + name:<22}{statistics.median(measured):>10.0f}{p95(measured):>10.0f}"
              f"{max(measured):>10.0f}{p95(measured) / p95(bare_list):>10.1f}")
    for name, measured in queries.items():
        print(f"{'query, ' + name:<22}{statistics.median(measured):>10.0f}{p95(measured):>10.0f}"
              f"{max(measured):>10.0f}{p95(measured) / p95(bare_list):>10.1f}")
    print(f"{'bare page (layout)':<22}{statistics.median(bare_page):>10.0f}{p95(bare_page):>10.0f}"
          f"{max(bare_page):>10.0f}")
    print(f"{'bare list SELECT':<22}{statistics.median(bare_list):>10.1f}{p95(bare_list):>10.1f}"
          f"{max(bare_list):>10.1f}")
    print(f"judicial cases={args.cases} deadlines_s={daily_s:.2f} list_p95_ms={p95(every_load):.0f} pack_s={pack_s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
