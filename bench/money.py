"""Time the money side on PostgreSQL: posting interest over open cases, and a monthly remittance run.

    python -m bench.money [--cases N] [--payments N]

Runs `bench.money_interest` (1,000,000 open cases by default: interest and €40 indemnities posted by
set-based SQL, then a rerun that must post nothing) and `bench.money_remittance` (1,000,000 payments
of a month over 50 clients: one statement per client). Each is compared with the bare database doing
the least the same job needs, on the same data: writing one row per claim (interest) or per payment
(remittance) into an unindexed table with one INSERT … SELECT.

The last line reads `money cases=… interest_s=… remittance_s=…`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import sqlalchemy as sa

from bench import money_interest, money_remittance

TARGET_INTEREST_S = 120
TARGET_REMITTANCE_S = 60
BARE = {
    "interest": "INSERT INTO bare_money SELECT id, case_id, amount_cents FROM claim",
    "remittance": "INSERT INTO bare_money SELECT id, case_id, amount_cents FROM payment",
}


def bare_seconds(url: str, job: str) -> float:
    """Time the bare INSERT … SELECT of `job`'s rows into an unindexed table (created and dropped around it)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS bare_money"))
            connection.execute(sa.text("CREATE UNLOGGED TABLE bare_money (id bigint, case_id bigint, cents bigint)"))
        with engine.begin() as connection:
            started = time.perf_counter()
            connection.execute(sa.text(BARE[job]))
            seconds = time.perf_counter() - started
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE bare_money"))
        return seconds
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.money", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    interest_url = os.environ.get("BENCH_INTEREST_DATABASE_URL", money_interest.DEFAULT_URL)
    remittance_url = os.environ.get("BENCH_REMITTANCE_DATABASE_URL", money_remittance.DEFAULT_URL)

    interest_s = money_interest.run(args.cases, interest_url)
    interest_bare = bare_seconds(interest_url, "interest")
    print(flush=True)
    remittance_s = money_remittance.run(args.payments, remittance_url)
    remittance_bare = bare_seconds(remittance_url, "remittance")

    print()
    print(f"{'job':<34} {'seconds':>8} {'bare':>7} {'ratio':>7} {'target':>7}")
    print(f"{'interest, ' + format(args.cases, ',') + ' open cases':<34} {interest_s:>8.1f} {interest_bare:>7.2f} "
          f"{interest_s / interest_bare:>6.1f}× {TARGET_INTEREST_S:>6} s")
    print(f"{'remittances, ' + format(args.payments, ',') + ' payments':<34} {remittance_s:>8.1f} "
          f"{remittance_bare:>7.2f} {remittance_s / remittance_bare:>6.1f}× {TARGET_REMITTANCE_S:>6} s")
    met = interest_s < TARGET_INTEREST_S and remittance_s < TARGET_REMITTANCE_S
    print(f"targets: {'met' if met else 'MISSED'}")
    print(f"money cases={args.cases} interest_s={interest_s:.1f} remittance_s={remittance_s:.1f}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
