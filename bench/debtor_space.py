"""Time the debtor's space on PostgreSQL over 1,000,000 cases: the case page, and card payment webhooks.

    python -m bench.debtor_space [--cases N] [--pages 300] [--deliveries 1000] [--duplicates 0.10]
                                 [--senders 8] [--web-workers 4] [--database-url URL] [--redis-url URL]

The database (BENCH_SPACE_DATABASE_URL, else amiable_bench_debtor_space on the local PostgreSQL) is dropped,
recreated, migrated and filled by `bench.queue_data` as the other benches over a million cases are, then shaped
for interest as `bench.money_interest` does (60 % of the cases between businesses, formal notices on a quarter
of the others), set-based and not timed. Each part payment `queue_data` writes becomes a recorded payment (its
row, its allocation to the claim's principal), every debtor gets a postal address (the door asks its postcode),
and interest is posted on every open case, as the daily job would have: the ledgers hold what they hold in an
agency. Then, as `bench.webhooks` sets up (not timed): one case and one paid Checkout session per event, opened
on the local fake Stripe (money/online/fake_stripe.py) the real `stripe` library talks to.

Timed:
- the case page `/espace/dossier/<id>` of `--pages` cases spread over the million (business and consumer, with
  and without payments, interest, insolvency holds), each in a browser of its own (the test client, the real
  app) that opened a link issued to the case and answered the door, as a debtor does; checked to show the case
  and its invoice. Baseline: the page's own reads as bare SQL (the case, its client, its claims with their
  ledger sums, its payments, its letters, its plan), hand-written, on one connection;
- `--deliveries` webhook deliveries, one in ten a repeat, POSTed by `bench.webhooks.deliver` from `--senders`
  threads to gunicorn with `--web-workers` workers on this database and Redis (BENCH_SPACE_REDIS_URL, else
  database 11 of the local server, emptied); each event must have exactly one payment.

The last line reads `debtor_space cases=… page_p95_ms=… webhooks_s=… duplicates_recorded=…`; exit 1 when the
page's p95 is 100 ms or more, the deliveries take 30 s or more, an event has no payment or two, or a delivery
was refused.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench import money_interest, webhooks
from bench.money_remittance import _insert
from bench.placement import make_app, recreate_database
from bench.queue_data import generate, seed_people
from bench.reports import p95

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/amiable_bench_debtor_space"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
PAGE_TARGET_MS = 100
POSTCODE = "CAST(10000 + (g::bigint * 7919) % 85000 AS text)"  # the postcode of debtor g
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# What the page reads, by hand: the case with its client, each claim with its ledger sums by kind (reversals
# as what they undo), the payments, the issued letters and the running plan.
BARE = [
    """SELECT c.*, cl.name, cl.address_line1 FROM collection_case c JOIN client cl ON cl.id = c.client_id
       WHERE c.id = :case_id""",
    """SELECT e.claim_id, coalesce(u.kind, e.kind) AS kind, sum(e.amount_cents) FROM ledger_entry e
       LEFT JOIN ledger_entry u ON u.id = e.reverses_id WHERE e.case_id = :case_id GROUP BY 1, 2""",
    "SELECT * FROM claim WHERE case_id = :case_id ORDER BY due_date",
    "SELECT * FROM payment WHERE case_id = :case_id ORDER BY received_on DESC, id DESC",
    "SELECT * FROM letter WHERE case_id = :case_id AND status = 'issued' ORDER BY issued_on DESC, id DESC",
    "SELECT * FROM payment_plan WHERE case_id = :case_id AND status = 'active'",
]


def set_up(url: str, cases: int) -> None:
    """Migrate, generate the cases, shape them for interest, record their payments, post interest (not timed)."""
    from flask_migrate import upgrade

    from agency.db import db
    from debtors.models import ContactPoint
    from money.models import Payment

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade(revision="heads")
        finally:
            logging.disable(logging.NOTSET)
        now = datetime.now(UTC)
        seed_people(db.session, now.date())
        db.session.commit()
        started = time.perf_counter()
        debtors = max(1, cases * 4 // 5)
        params = {"n": cases, "d": debtors, "now": now}
        with db.engine.begin() as connection:
            shape = generate(connection, cases, now)
            for statement in money_interest.SHAPE:
                connection.execute(sa.text(statement))
            connection.execute(sa.text("SET session_replication_role = replica"))
            # queue_data's part payments (ledger entry n + k on case k) become payments: the row, numbered as
            # record_payment numbers it, and the entry allocated to the claim's principal (claim k of case k).
            _insert(connection, Payment, {
                "id": "e.id - :n", "case_id": "e.case_id", "client_id": "e.client_id",
                "reference": "'Q26-' || lpad((e.id - :n)::text, 7, '0')", "amount_cents": "-e.amount_cents",
                "received_on": "e.effective_on", "method": "'transfer'", "debtor_choice": "CAST('[]' AS json)",
                "idempotency_key": "'bench-' || e.id", "commission_bp": "1500",
                "commission_cents": "(-e.amount_cents * 1500 + 5000) / 10000", "created_at": ":now",
            }, "FROM ledger_entry e WHERE e.kind = 'payment'", params)
            connection.execute(sa.text(
                "UPDATE ledger_entry SET claim_id = case_id, applies_to = 'principal', payment_id = id - :n, "
                "description = 'Q26-' || lpad((id - :n)::text, 7, '0') WHERE kind = 'payment'"), params)
            _insert(connection, ContactPoint, {
                "id": ":d + g", "debtor_id": "g", "kind": "'address'", "label": "'home'",
                "address_line1": "g || ' rue de la République'", "postcode": POSTCODE, "city": "'Lyon'",
                "status": "'valid'", "is_primary": "true", "source": "'placement'", "created_at": ":now",
            }, "FROM generate_series(1, :d) AS g", params)
            for table in ("payment", "contact_point"):
                connection.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                ))
            connection.execute(sa.text("SET session_replication_role = DEFAULT"))
        print(f"generated {shape.cases:,} cases in {time.perf_counter() - started:.0f} s (not timed)", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        db.engine.dispose()
    seconds, interest, indemnities = money_interest.timed_run(url)
    print(f"posted {interest:,} interest entries and {indemnities:,} indemnities in {seconds:.0f} s (not timed)",
          flush=True)


def page_cases(url: str, cases: int, count: int) -> list[tuple[int, str, str]]:
    """Issue a link to `count` open cases spread over the generated ones; return (case id, reference, token) each."""
    from agency.db import db
    from cases.messaging.space_links import issue_link, new_token
    from cases.models import Case

    app = make_app(url)
    picked = []
    with app.app_context():
        step = max(1, cases // (2 * count))  # about half the cases are open: two candidates per page
        ids = db.session.scalars(sa.text(
            "SELECT id FROM collection_case WHERE status NOT IN ('paid', 'closed') AND id <= :cases "
            "AND id % :step = 17 % :step ORDER BY id LIMIT :count"), {"cases": cases, "step": step, "count": count}).all()
        for case_id in ids:
            case = db.session.get(Case, case_id)
            token, _url = new_token()
            issue_link(case, "sms", token, actor=None)
            picked.append((case.id, case.reference, token))
        db.session.commit()
        db.engine.dispose()
    return picked


def time_pages(url: str, picked: list[tuple[int, str, str]]) -> tuple[list[float], list[str]]:
    """Open each case's link in a browser of its own, answer the door, time the case page; return ms and problems."""
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "TESTING": False, "SCHEDULER_THREAD": False})
    postcodes = _postcodes(url, [case_id for case_id, _, _ in picked])
    times, problems = [], []
    for n, (case_id, reference, token) in enumerate(picked):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.1.{n // 250}.{n % 250 + 1}"
        browser.get(f"/espace/{token}")
        door = browser.get("/espace/").get_data(as_text=True)
        answered = browser.post("/espace/", data={"answer": postcodes[case_id], "csrf_token": CSRF_RE.search(door)[1]})
        if answered.status_code != 302 or not answered.headers["Location"].endswith(f"/espace/dossier/{case_id}"):
            problems.append(f"case {case_id}: the door answered {answered.status_code}")
            continue
        started = time.perf_counter()
        page = browser.get(f"/espace/dossier/{case_id}")
        elapsed = (time.perf_counter() - started) * 1000
        text = page.get_data(as_text=True)
        if page.status_code != 200 or reference not in text or f"F{case_id}" not in text:
            problems.append(f"case {case_id}: {page.status_code}, the page does not show the case and its invoice")
        if n >= 5:  # the first pages compile the templates
            times.append(elapsed)
    return times, problems


def _postcodes(url: str, case_ids: list[int]) -> dict[int, str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT c.id, p.postcode FROM collection_case c JOIN contact_point p ON p.debtor_id = c.debtor_id "
            "WHERE c.id = ANY(:ids) AND p.kind = 'address'"), {"ids": case_ids}).all()
    engine.dispose()
    return dict(rows)


def time_bare(url: str, case_ids: list[int]) -> list[float]:
    """Time the page's reads as bare SQL for each case; return ms per case."""
    engine = sa.create_engine(url)
    times = []
    with engine.connect() as connection:
        statements = [sa.text(s) for s in BARE]
        for case_id in case_ids:
            started = time.perf_counter()
            for statement in statements:
                connection.execute(statement, {"case_id": case_id}).all()
            times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return times


def run_webhooks(url: str, redis_url: str, deliveries: int, share: float, senders: int, workers: int) -> dict:
    """Set up a paid Checkout session per event (not timed), deliver them to gunicorn; return the counts."""
    from redis import Redis

    from money.online.fake_stripe import FakeStripe

    Redis.from_url(redis_url).flushdb()
    fake = FakeStripe(api_key="sk_test_bench", webhook_secret="whsec_bench").start()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "STRIPE_SECRET_KEY": fake.api_key,
           "STRIPE_WEBHOOK_SECRET": fake.webhook_secret, "STRIPE_API_BASE": fake.url, "AMIABLE_SCHEDULER_THREAD": "0"}
    saved = {name: os.environ.get(name) for name in env if os.environ.get(name) != env[name]}
    os.environ.update(env)
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url})
    events = round(deliveries * (1 - share))
    log = Path("/tmp/amiable-bench-debtor-space-gunicorn.log")
    log.unlink(missing_ok=True)
    try:
        with app.app_context():
            started = time.perf_counter()
            originals = webhooks.set_up(events, fake)
            print(f"{events:,} cases with a paid Checkout session set up in {time.perf_counter() - started:.0f} s "
                  "(not timed)", flush=True)
            batch = webhooks.deliveries_with_duplicates(originals, share)
            server, base_url = webhooks.serve(env, workers, log)
            try:
                seconds, statuses = webhooks.deliver(base_url, fake, batch, senders)
            finally:
                server.terminate()
                server.wait(timeout=30)
            counts = _tally()
    finally:
        fake.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return {"deliveries": len(batch), "events": events, "seconds": seconds,
            "refused": sum(1 for s in statuses if s != 200), **counts}


def _tally() -> dict[str, int]:
    """Count the online payments (the generated ones are not), the paid checkouts and the most on one checkout."""
    from agency.db import db
    from money.models import Checkout, Payment

    db.session.rollback()
    online = Payment.idempotency_key.like("online-%")
    # Correlated to each checkout of the outer query (without `correlate` and its FROM, the subquery would take the
    # checkout table in itself and count every pair).
    per_checkout = sa.select(sa.func.count(Payment.id)).where(
        online, Payment.idempotency_key == "online-" + Checkout.reference).correlate(Checkout).scalar_subquery()
    return {
        "payments": db.session.scalar(sa.select(sa.func.count(Payment.id)).where(online)),
        "paid_checkouts": db.session.scalar(sa.select(sa.func.count(Checkout.id)).where(Checkout.payment_id.is_not(None))),
        "max_per_checkout": db.session.scalar(sa.select(sa.func.max(per_checkout)).select_from(Checkout)) or 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--deliveries", type=int, default=1_000)
    parser.add_argument("--duplicates", type=float, default=0.10)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SPACE_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_SPACE_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args(argv)
    url = args.database_url

    recreate_database(url)
    set_up(url, args.cases)
    hooks = run_webhooks(url, args.redis_url, args.deliveries, args.duplicates, args.senders, args.web_workers)
    picked = page_cases(url, args.cases, args.pages + 5)
    pages, problems = time_pages(url, picked)
    bare = time_bare(url, [case_id for case_id, _, _ in picked[5:]])

    page_p95 = p95(pages) if pages else float("inf")
    print(f"{'measure':<12}{'loads':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'bare p95':>10}{'× bare':>10}")
    if pages:
        print(f"{'case page':<12}{len(pages):>8}{statistics.median(pages):>10.1f}{page_p95:>10.1f}{max(pages):>10.1f}"
              f"{p95(bare):>10.1f}{page_p95 / p95(bare):>10.1f}")
    rate = hooks["deliveries"] / hooks["seconds"] if hooks["seconds"] else 0
    missing = hooks["events"] - hooks["paid_checkouts"]
    duplicates_recorded = hooks["payments"] - hooks["paid_checkouts"]
    print(f"{'deliveries':>12}{'events':>8}{'seconds':>9}{'per s':>8}{'payments':>10}{'refused':>9}{'missing':>9}")
    print(f"{hooks['deliveries']:>12,}{hooks['events']:>8,}{hooks['seconds']:>9.1f}{rate:>8.0f}{hooks['payments']:>10,}"
          f"{hooks['refused']:>9}{missing:>9}")
    for problem in problems[:20]:
        print(f"  wrong: {problem}")
    print(f"debtor_space cases={args.cases} page_p95_ms={page_p95:.0f} webhooks_s={hooks['seconds']:.1f} "
          f"duplicates_recorded={duplicates_recorded}")
    ok = (not problems and page_p95 < PAGE_TARGET_MS and hooks["seconds"] < webhooks.TARGET_S and not missing
          and not duplicates_recorded and not hooks["refused"] and hooks["max_per_checkout"] == 1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
