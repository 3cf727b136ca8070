"""What the job outbox and the SMS guard cost, and that they lose nothing and send nothing twice under faults.

    python -m bench.faults [--payments N] [--sms N] [--database-url URL] [--redis-url URL]

Real mode on the local PostgreSQL (BENCH_FAULTS_DATABASE_URL, else amiable_bench_faults, dropped and
recreated) and Redis (BENCH_FAULTS_REDIS_URL, else database 7 of the local server, emptied), with two
`flask agency worker` processes and a local fake Twilio (`bench.fake_twilio`) that answers one send in
ten with a 500.

1. Payments: N payments recorded through `record_payment` on N/5 cases, each in its own transaction
   with its receipt job written to the outbox and pushed to Redis after the commit, as the payment
   form does. `payments_s` is the time to record them all; the ratio compares one payment's time
   with N/5 payments recorded first without asking for a receipt (no outbox row, no Redis).
2. SMS: N messages recorded `sending` and handed to the delivery job through the outbox, in batches of
   100 per transaction; the workers deliver them; the periodic sweeps (`retry_due_sms`,
   `sweep_outbox`) run every second, as `rq cron` would run them every minute; a worker is killed
   (SIGKILL) three times while messages are in flight, and a new one started. `sms_s` runs until every
   message is settled (accepted, or failed for staff to retry).

The last line reads `faults payments=… payments_s=… sms=… sms_s=… accepted=… duplicates=… lost=…`:
`accepted` counts the messages the fake Twilio accepted, `duplicates` a message accepted more than
once, `lost` a message neither accepted nor marked failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench.fake_twilio import FakeTwilio
from bench.placement import recreate_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/amiable_bench_faults"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
KILLS = 3
PAYMENTS_PER_CASE = 5
SETTLE_LIMIT_S = 1800


def platform_env(url: str, redis_url: str, twilio: FakeTwilio) -> dict[str, str]:
    """The settings of the platform's processes: real mode, the fake Twilio, short retry delays."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": "AC" + "b" * 32,
        "TWILIO_AUTH_TOKEN": "bench-token",
        "TWILIO_FROM": "+33700000009",
        "TWILIO_API_BASE": twilio.url,
        # Production waits 30 s, 2 min, 10 min, 30 min between tries; the bench cannot wait that long.
        "SMS_RETRY_DELAYS": "1,2,4,8,16",
        "SMS_ATTEMPT_LEASE": "5",
        "TWILIO_READ_TIMEOUT": "3",
    }


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "agency", "worker"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def set_up(cases: int) -> list[int]:
    """Create a client with its mandate and `cases` cases of €5,000 each; return their ids."""
    from flask_migrate import upgrade

    from agency.db import db
    from agency.models import Client, Mandate
    from cases.intake import ClaimInput, open_case
    from cases.models import CaseKind
    from debtors.models import Debtor

    logging.disable(logging.INFO)
    try:
        upgrade(revision="heads")
    finally:
        logging.disable(logging.NOTSET)
    client = Client(code="FAULTS", name="Créancier SAS", address_line1="1 rue de la Paix", postcode="75002",
                    city="Paris", remittance_iban="FR7630006000011234567890189")
    client.mandates.append(Mandate(reference="MAN-FAULTS", signed_on=date(2025, 1, 1), starts_on=date(2025, 1, 1),
                                   commission_bp=1500, vat_bp=2000))
    db.session.add(client)
    ids = []
    for n in range(cases):
        debtor = Debtor(kind="person", first_name="Jeanne", last_name=f"Martin{n}")
        db.session.add(debtor)
        claim = ClaimInput(invoice_number=f"F-{n}", issue_date=date(2026, 1, 2), due_date=date(2026, 2, 1),
                           amount_cents=500_000)
        ids.append(open_case(client=client, debtor=debtor, kind=CaseKind.B2C, claims=[claim],
                             opened_on=date(2026, 3, 1), actor=None).id)
        if n % 500 == 499:
            db.session.commit()
    db.session.commit()
    return ids


def record_payments(case_ids: list[int], count: int, *, receipts: bool = True, key: str = "faults",
                    first: int = 0) -> float:
    """Record `count` payments as the payment form does (without asking for receipts: the baseline)."""
    from agency.db import db
    from cases.models import Case
    from money.payments.jobs import issue_receipt_later
    from money.payments.payments import record_payment

    started = time.perf_counter()
    for n in range(count):
        case = db.session.get(Case, case_ids[n % len(case_ids)])
        payment = record_payment(case, amount_cents=1_000 + first + n, received_on=date(2026, 11, 2), method="transfer",
                                 channel="trust", idempotency_key=f"{key}-{n}", actor=None)
        if receipts:
            issue_receipt_later(payment.id)
        db.session.commit()
    return time.perf_counter() - started


def queue_sms(count: int) -> None:
    """Record `count` messages, each to its own number with its own text, and hand them to delivery."""
    from agency.db import db
    from agency.sms import store_sms
    from cases.messaging.delivery import queue_delivery

    for n in range(count):
        queue_delivery(store_sms(f"+3361{n:07d}", f"Dossier F-{n} : merci de nous rappeler. [{n}]"))
        if n % 100 == 99:
            db.session.commit()
    db.session.commit()


def unsettled() -> int:
    from agency.db import db
    from agency.message_models import SmsMessage, SmsStatus

    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).where(
        SmsMessage.status == SmsStatus.SENDING.value))


def sweep() -> None:
    """What `rq cron` runs every minute: due SMS retries and the outbox sweep."""
    from agency.jobs import sweep_outbox
    from cases.messaging.delivery import retry_due_sms

    retry_due_sms()
    sweep_outbox()


def tally(twilio: FakeTwilio) -> dict[str, int]:
    from agency.db import db
    from agency.message_models import SmsMessage, SmsStatus

    rows = db.session.execute(sa.select(SmsMessage.body, SmsMessage.status)).all()
    accepted = sum(1 for body, _ in rows if twilio.accepted[body] >= 1)
    duplicates = sum(1 for body, _ in rows if twilio.accepted[body] > 1)
    lost = sum(1 for body, status in rows if twilio.accepted[body] == 0 and status != SmsStatus.FAILED.value)
    failed = sum(1 for _, status in rows if status == SmsStatus.FAILED.value)
    return {"accepted": accepted, "duplicates": duplicates, "lost": lost, "failed": failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--sms", type=int, default=10_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_FAULTS_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_FAULTS_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args(argv)

    from redis import Redis

    recreate_database(args.database_url)
    Redis.from_url(args.redis_url).flushdb()
    twilio = FakeTwilio(error_share=0.10).start()
    env = platform_env(args.database_url, args.redis_url, twilio)
    os.environ.update(env)  # this process is one of the platform's too: it records and sweeps
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "REDIS_URL": args.redis_url})
    log = Path("/tmp/amiable-bench-faults-workers.log")
    log.unlink(missing_ok=True)
    with app.app_context():
        case_ids = set_up(max(1, args.payments // PAYMENTS_PER_CASE))
        print(f"{len(case_ids):,} cases set up (not timed)", flush=True)
        workers = [start_worker(env, log) for _ in range(WORKERS)]
        try:
            baseline = max(1, args.payments // 5)
            baseline_s = record_payments(case_ids, baseline, receipts=False, key="baseline")
            payments_s = record_payments(case_ids, args.payments, first=baseline)
            print(f"{args.payments:,} payments recorded, receipts queued through the outbox: {payments_s:.1f} s",
                  flush=True)

            started = time.perf_counter()
            queue_sms(args.sms)
            kills_at = [args.sms * k // (KILLS + 1) for k in range(KILLS, 0, -1)]  # still unsettled: 75 %, 50 %, 25 %
            kills = 0
            while (left := unsettled()) and time.perf_counter() - started < SETTLE_LIMIT_S:
                if kills_at and left <= kills_at[0]:
                    kills_at.pop(0)
                    victim = workers.pop(0)
                    os.killpg(victim.pid, signal.SIGKILL)  # mid-job: no chance to finish or clean up
                    victim.wait()
                    workers.append(start_worker(env, log))
                    kills += 1
                    print(f"worker killed with {left:,} messages unsettled; a new one started", flush=True)
                sweep()
                time.sleep(1)
            sms_s = time.perf_counter() - started
            counts = tally(twilio)
        finally:
            for worker in workers:
                os.killpg(worker.pid, signal.SIGTERM)
            for worker in workers:
                worker.wait(30)
            twilio.stop()
        outbox_left = _outbox_left()
    per_payment, per_bare = payments_s / args.payments, baseline_s / baseline
    print(f"{'payments, no receipt asked':<34}{baseline:>10,}   {baseline_s:8.1f} s   {baseline / baseline_s:8.0f} /s")
    print(f"{'payments, receipt via the outbox':<34}{args.payments:>10,}   {payments_s:8.1f} s   "
          f"{args.payments / payments_s:8.0f} /s   ratio {per_payment / per_bare:.2f}")
    print(f"{'SMS settled':<34}{args.sms - unsettled_after(app):>10,}   {sms_s:8.1f} s   {args.sms / sms_s:8.0f} /s")
    print(f"{'500s answered by the fake Twilio':<34}{twilio.errors:>10,}")
    print(f"{'workers killed mid-run':<34}{kills:>10}")
    print(f"{'marked failed (staff may retry)':<34}{counts['failed']:>10,}")
    print(f"{'outbox rows not done':<34}{outbox_left:>10,}")
    print(f"faults payments={args.payments} payments_s={payments_s:.1f} sms={args.sms} sms_s={sms_s:.1f} "
          f"accepted={counts['accepted']} duplicates={counts['duplicates']} lost={counts['lost']}")
    return 0 if counts["duplicates"] == 0 and counts["lost"] == 0 else 1


def unsettled_after(app) -> int:
    with app.app_context():
        return unsettled()


def _outbox_left() -> int:
    from agency.db import db
    from agency.outbox import OutboxJob

    return db.session.scalar(sa.select(sa.func.count(OutboxJob.id)).where(OutboxJob.done_at.is_(None)))


if __name__ == "__main__":
    sys.exit(main())
