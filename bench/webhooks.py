"""Card payment webhooks under load: 1,000 deliveries, one in ten a duplicate, one payment per event.

    python -m bench.webhooks [--deliveries N] [--duplicates 0.10] [--senders 8] [--web-workers 4]
                             [--database-url URL] [--redis-url URL]

Real mode on the local PostgreSQL (BENCH_WEBHOOKS_DATABASE_URL, else amiable_bench_webhooks, dropped and
recreated) and Redis (BENCH_WEBHOOKS_REDIS_URL, else database 8 of the local server, emptied), the platform
served by gunicorn, and the local fake Stripe (money/online/fake_stripe.py) the real `stripe` library talks
to. Not timed: one case and one paid Checkout session per event (opened through `start_checkout`, paid on
the fake). Timed: `--senders` threads POST every delivery, each signed when sent as Stripe signs its
attempts, in a shuffled order where a duplicate may come before, after or at the same time as its original.
Each paid event asks the fake for its fee, records the payment and writes its receipt job to the outbox.

The last line reads `webhooks deliveries=… events=… duplicates=… webhooks_s=… payments=… duplicates_recorded=…
missing=… refused=…`; it fails (exit 1) when an event has no payment, one has two, or a delivery was refused.
`deliver` is what bench.debtor_space calls with its own platform and fake.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import requests
import sqlalchemy as sa

from bench.placement import recreate_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/amiable_bench_webhooks"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_PATH = "/webhooks/payments/stripe"
TARGET_S = 30


def deliveries_with_duplicates(originals: list, share: float, seed: int = 20261207) -> list:
    """Return the originals plus `share` of the total as repeats of some of them, shuffled."""
    rng = random.Random(seed)
    repeats = round(len(originals) * share / (1 - share))
    batch = originals + [rng.choice(originals) for _ in range(repeats)]
    rng.shuffle(batch)
    return batch


def deliver(base_url: str, fake, batch: list, senders: int = 8) -> tuple[float, list[int]]:
    """POST every delivery of `batch` to the platform at `base_url` from `senders` threads; return (s, statuses)."""
    url = base_url.rstrip("/") + WEBHOOK_PATH
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=senders, pool_maxsize=senders)
    session.mount("http://", adapter)

    def send(delivery) -> int:
        headers = {"Content-Type": "application/json", "Stripe-Signature": fake.sign(delivery.payload)}
        return session.post(url, data=delivery.payload, headers=headers, timeout=60).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        statuses = list(pool.map(send, batch))
    return time.perf_counter() - started, statuses


def set_up(events: int, fake) -> list:
    """Create `events` cases, open and pay a Checkout session on each; return the fake's paid deliveries."""
    from flask_migrate import upgrade

    from agency.db import db
    from agency.models import AgencyProfile, Client, Mandate
    from cases.intake import ClaimInput, open_case
    from cases.models import CaseKind
    from debtors.models import Debtor
    from money.online import start_checkout

    logging.disable(logging.INFO)
    try:
        upgrade(revision="heads")
    finally:
        logging.disable(logging.NOTSET)
    db.session.add(AgencyProfile(id=1, name="Cabinet Bench", trust_iban="FR7630004008050001122334433"))
    client = Client(code="WEBHOOKS", name="Créancier SAS", address_line1="1 rue de la Paix", postcode="75002",
                    city="Paris")
    client.mandates.append(Mandate(reference="MAN-WEBHOOKS", signed_on=date(2025, 1, 1), starts_on=date(2025, 1, 1),
                                   commission_bp=1500, vat_bp=2000))
    db.session.add(client)
    for n in range(events):
        debtor = Debtor(kind="person", first_name="Jeanne", last_name=f"Martin{n}")
        claim = ClaimInput(invoice_number=f"F-{n}", issue_date=date(2026, 1, 2), due_date=date(2026, 2, 1),
                           amount_cents=50_000 + n)
        case = open_case(client=client, debtor=debtor, kind=CaseKind.B2C, claims=[claim], opened_on=date(2026, 3, 1),
                         actor=None)
        started = start_checkout(case, 10_000, purpose="own", success_url="http://127.0.0.1/paid",
                                 cancel_url="http://127.0.0.1/", actor_label="bench")
        db.session.commit()
        fake.pay(started.session_id)
    return list(fake.outbox)


def tally(events: int) -> dict[str, int]:
    from agency.db import db
    from money.models import Checkout, Payment, ProviderEvent

    db.session.rollback()
    payments = db.session.scalar(sa.select(sa.func.count(Payment.id)))
    paid = db.session.scalar(sa.select(sa.func.count(Checkout.id)).where(Checkout.payment_id.is_not(None)))
    # Correlated to each checkout of the outer query, which names the table: alone, the subquery would count them all.
    per_checkout = db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(
        sa.select(sa.func.count(Payment.id)).where(Payment.case_id == Checkout.case_id).correlate(Checkout)
        .scalar_subquery(), 0))).select_from(Checkout))
    return {"payments": payments, "paid_checkouts": paid, "max_per_case": per_checkout or 0,
            "events_kept": db.session.scalar(sa.select(sa.func.count(ProviderEvent.id)))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on a free port with the platform's settings; return it and its URL once it answers."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url + "/login", timeout=30)
            return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn did not start: see {log}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1_000)
    parser.add_argument("--duplicates", type=float, default=0.10)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_WEBHOOKS_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_WEBHOOKS_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args(argv)

    from redis import Redis

    from money.online.fake_stripe import FakeStripe

    recreate_database(args.database_url)
    Redis.from_url(args.redis_url).flushdb()
    fake = FakeStripe(api_key="sk_test_bench", webhook_secret="whsec_bench").start()
    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "STRIPE_SECRET_KEY": fake.api_key, "STRIPE_WEBHOOK_SECRET": fake.webhook_secret,
           "STRIPE_API_BASE": fake.url, "AMIABLE_SCHEDULER_THREAD": "0"}
    os.environ.update(env)
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "REDIS_URL": args.redis_url})
    events = round(args.deliveries * (1 - args.duplicates))
    log = Path("/tmp/amiable-bench-webhooks-gunicorn.log")
    log.unlink(missing_ok=True)
    with app.app_context():
        originals = set_up(events, fake)
        batch = deliveries_with_duplicates(originals, args.duplicates)
        print(f"{events:,} cases with a paid Checkout session set up (not timed)", flush=True)
        server, url = serve(env, args.web_workers, log)
        try:
            seconds, statuses = deliver(url, fake, batch, args.senders)
        finally:
            server.terminate()
            server.wait(timeout=30)
        counts = tally(events)
    fake.stop()
    refused = sum(1 for s in statuses if s != 200)
    missing = events - counts["paid_checkouts"]
    duplicates_recorded = counts["payments"] - counts["paid_checkouts"]
    rate = len(batch) / seconds if seconds else 0
    print(f"{'deliveries':>12} {'events':>8} {'seconds':>8} {'per s':>8} {'payments':>9} {'refused':>8}")
    print(f"{len(batch):>12,} {events:>8,} {seconds:>8.1f} {rate:>8.0f} {counts['payments']:>9,} {refused:>8}")
    print(f"webhooks deliveries={len(batch)} events={events} duplicates={len(batch) - events} webhooks_s={seconds:.1f} "
          f"payments={counts['payments']} duplicates_recorded={duplicates_recorded} missing={missing} refused={refused}")
    ok = not refused and not missing and not duplicates_recorded and counts["max_per_case"] == 1 and seconds < TARGET_S
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
