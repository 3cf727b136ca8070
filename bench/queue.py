"""Time the work queue on PostgreSQL: "Next" with 8 collectors pulling at once, and the daily job.

    python -m bench.queue [--cases N] [--collectors 8] [--presses 200] [--database-url URL]

The database (BENCH_QUEUE_DATABASE_URL, else amiable_bench_queue on the local PostgreSQL) is dropped
and recreated, migrated, and filled by `bench.queue_data` with set-based SQL (not timed): 1,000,000
cases and 3,000,000 actions by default. The bench's clock stands at Monday 2 March 2026, 10:00 in
Paris, plus the real time elapsed, so that the French calling hours let the collectors call.

Three measures:
- the daily job, committed: `cases.queue.queue.refresh_scores(now)` over every open case, then the
  strategy's `cases.work.strategy.advance_strategy(now)`, on top of yesterday's scores (computed from
  zero while setting up, and printed too);
- "Next": one process per collector (8 collectors of 4 teams, so pairs share a pool), all pressing
  Next at the same instant, `presses` rounds: `lease_next_case` and the commit are timed, in the app
  context a request would have; the case is then finished (not timed), as a collector would after
  working it. Median and p95 over all presses; no case may be handed out twice;
- the bare indexed SELECT of the best waiting case (`cases.queue.queue.waiting`, its id only, through
  psycopg with no ORM), alone on one connection, median; the ratio is Next's median over it.

The last line reads `queue cases=… next_p50_ms=… next_p95_ms=… bare_ms=… ratio=… daily_job_s=…`.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.placement import make_app, recreate_database
from bench.queue_data import generate, seed_people

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/amiable_bench_queue"
BENCH_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Paris
TARGET_P50_MS, TARGET_P95_MS, TARGET_DAILY_S = 20, 50, 120
THINK_S = 1.0  # at most this long on a case between Next and Finish


class Clock:
    """The bench's clock: BENCH_NOW plus the real time elapsed since `started` (a time.time())."""

    def __init__(self, started: float) -> None:
        self.started = started

    def now(self) -> datetime:
        return datetime.fromtimestamp(BENCH_NOW.timestamp() + time.time() - self.started, UTC)


def set_up(url: str, cases: int, clock: Clock) -> tuple[list[int], float]:
    """Migrate, create the people, generate the rows, score them as yesterday; return (collector ids, scoring s)."""
    from flask_migrate import upgrade

    from agency.db import db
    from cases.queue.queue import refresh_scores

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade(revision="heads")
        finally:
            logging.disable(logging.NOTSET)
        now = clock.now()
        collectors = seed_people(db.session, now.date())
        db.session.commit()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            shape = generate(connection, cases, now)
        print(f"generated {shape.cases:,} cases, {shape.debtors:,} debtors, {shape.actions:,} actions "
              f"in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        _vacuum(db.engine)
        started = time.perf_counter()
        refresh_scores(now - timedelta(days=1))
        db.session.commit()
        first = time.perf_counter() - started
        _vacuum(db.engine)
        db.engine.dispose()
    return collectors, first


def _vacuum(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))


def daily_job(url: str, clock: Clock) -> dict[str, float | str]:
    """Run the day's refresh of the scores and the strategy's step, each committed; return their times."""
    from agency.db import db
    from cases.queue.queue import refresh_scores

    app = make_app(url)
    times: dict[str, float | str] = {}
    with app.app_context():
        started = time.perf_counter()
        times["changed"] = refresh_scores(clock.now())
        db.session.commit()
        times["refresh_s"] = time.perf_counter() - started
        try:
            from cases.work.strategy import advance_strategy
        except ImportError:
            times["strategy"] = "not measured: cases.work.strategy.advance_strategy does not exist"
        else:
            started = time.perf_counter()
            counts = advance_strategy(clock.now())
            db.session.commit()
            times["strategy_s"] = time.perf_counter() - started
            times["strategy"] = f"{counts.get('cases', 0):,} cases advanced, {counts.get('actions', 0):,} actions"
        db.engine.dispose()
    return times


def collector(url: str, user_id: int, presses: int, started: float, barrier, results, lockstep: bool) -> None:
    """One collector's process: press Next `presses` times, finishing each case; report the timings."""
    from agency.db import db
    from agency.models import User
    from cases.models import Case
    from cases.queue.leases import finish_case, lease_next_case

    clock = Clock(started)
    app = make_app(url)
    timings, commits, cpu, taken, refused = [], [], [], [], 0
    with app.app_context():
        db.session.get(User, user_id)  # opens the pool's connection before the clock starts
        db.session.commit()
    rng = random.Random(user_id)
    barrier.wait(timeout=300)
    for _ in range(presses):
        if lockstep:
            barrier.wait(timeout=300)  # every collector presses at the same instant, round after round
        with app.app_context():
            user = db.session.get(User, user_id)
            mark, cpu_mark = time.perf_counter(), time.process_time()
            found = lease_next_case(user, clock.now())
            commit_mark = time.perf_counter()
            db.session.commit()
            timings.append(time.perf_counter() - mark)
            commits.append(time.perf_counter() - commit_mark)
            cpu.append(time.process_time() - cpu_mark)
            refused += sum(found.refused.values())
            case_id, lease = (found.case.id, found.case.lease_token) if found.case is not None else (None, None)
        if lockstep:
            barrier.wait(timeout=300)  # the round's presses are over: the cases are worked and finished
        else:
            time.sleep(rng.uniform(0, THINK_S))  # the collector reads the case before finishing it
        if case_id is None:
            continue
        taken.append(case_id)
        with app.app_context():
            finish_case(db.session.get(Case, case_id), db.session.get(User, user_id), lease, clock.now())
            db.session.commit()
    results.put({"timings": timings, "commits": commits, "cpu": cpu, "taken": taken, "refused": refused})


def next_presses(url: str, collector_ids: list[int], presses: int, started: float, lockstep: bool) -> dict:
    """Run one process per collector, all pressing Next at once; gather their timings."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(collector_ids)), context.Queue()
    processes = [
        context.Process(target=collector, args=(url, uid, presses, started, barrier, results, lockstep))
        for uid in collector_ids
    ]
    for process in processes:
        process.start()
    gathered = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode:
            raise SystemExit(f"a collector process failed (exit {process.exitcode})")
    timings = [t for g in gathered for t in g["timings"]]
    gathered_all = {key: [t for g in gathered for t in g[key]] for key in ("commits", "cpu", "taken")}
    return {"timings": timings, **gathered_all, "refused": sum(g["refused"] for g in gathered)}


def bare_select(url: str, collector_ids: list[int], clock: Clock, runs: int = 200) -> tuple[float, list[str]]:
    """Return the median time of the bare candidate SELECT (psycopg, no ORM) and its plan."""
    import psycopg
    from sqlalchemy.dialects import postgresql

    from agency.db import db
    from agency.models import User
    from cases.queue.queue import team_ids, waiting, waiting_params

    app = make_app(url)
    with app.app_context():
        users = [db.session.get(User, uid) for uid in collector_ids]
        statements = []
        for user in users:
            compiled = waiting(len(team_ids(user))).compile(dialect=postgresql.psycopg.dialect())
            expanded = compiled.construct_expanded_state(waiting_params(user, clock.now()))
            statements.append((expanded.statement, dict(expanded.parameters)))
        db.engine.dispose()
    conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    times = []
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for n in range(runs):
            sql, params = statements[n % len(statements)]
            params = {**params, "now": clock.now()}
            mark = time.perf_counter()
            connection.execute(sql, params).fetchall()
            times.append(time.perf_counter() - mark)
        plan = [row[0] for row in connection.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)]
    return statistics.median(times), plan


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(cases: int, first_s: float, daily: dict, pressed: dict, bare: float, plan: list[str]) -> bool:
    timings = pressed["timings"]
    p50, p95 = statistics.median(timings) * 1000, percentile(timings, 0.95) * 1000
    bare_ms = bare * 1000
    daily_s = daily["refresh_s"] + daily.get("strategy_s", 0.0)
    twice = len(pressed["taken"]) - len(set(pressed["taken"]))
    print(f"first scoring of every open case (yesterday, from zero)   {first_s:8.1f} s")
    print(f"daily job: refresh_scores ({daily['changed']:,} scores changed)        {daily['refresh_s']:8.1f} s")
    if "strategy_s" in daily:
        print(f"daily job: advance_strategy ({daily['strategy']})  {daily['strategy_s']:8.1f} s")
    else:
        print(f"daily job: strategy step {daily['strategy']}")
    print(f"daily job in all                                          {daily_s:8.1f} s  (target < {TARGET_DAILY_S} s)")
    print(f"Next (lease_next_case + commit): {len(timings):,} presses, {len(pressed['taken']):,} cases taken, "
          f"{pressed['refused']:,} passed over by the contact rules, {twice} taken twice")  # fmt: skip
    print(f"  median {p50:7.2f} ms   p95 {p95:7.2f} ms   max {max(timings) * 1000:7.2f} ms   "
          f"(targets {TARGET_P50_MS} / {TARGET_P95_MS} ms)")  # fmt: skip
    commits = pressed["commits"]
    print(f"  of which the commit: median {statistics.median(commits) * 1000:.2f} ms, "
          f"p95 {percentile(commits, 0.95) * 1000:.2f} ms")  # fmt: skip
    print(f"  Python CPU of the collector's process per Next: median {statistics.median(pressed['cpu']) * 1000:.2f} ms; "
          f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"bare indexed SELECT (median, one connection)  {bare_ms:7.2f} ms   ratio {p50 / bare_ms:.1f}×")
    print("plan of the bare SELECT:")
    for line in plan:
        print(f"  {line}")
    ok = twice == 0 and p50 < TARGET_P50_MS and p95 < TARGET_P95_MS and daily_s < TARGET_DAILY_S
    print(f"targets: {'met' if ok else 'MISSED'}")
    print(f"queue cases={cases} next_p50_ms={p50:.2f} next_p95_ms={p95:.2f} bare_ms={bare_ms:.2f} "
          f"ratio={p50 / bare_ms:.1f} daily_job_s={daily_s:.1f}")  # fmt: skip
    return twice == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.queue", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--collectors", type=int, default=8, choices=range(1, 9), metavar="1-8")
    parser.add_argument("--presses", type=int, default=200, help="Next presses per collector")
    parser.add_argument("--lockstep", action="store_true",
                        help="all collectors press Next at the same instant, round after round")  # fmt: skip
    parser.add_argument("--database-url", default=os.environ.get("BENCH_QUEUE_DATABASE_URL") or DEFAULT_URL)
    args = parser.parse_args(argv)
    if sa.engine.make_url(args.database_url).get_backend_name() != "postgresql":
        raise SystemExit("the queue benchmark runs on PostgreSQL (FOR UPDATE SKIP LOCKED, generate_series)")
    started = time.time()
    clock = Clock(started)
    recreate_database(args.database_url)
    collector_ids, first_s = set_up(args.database_url, args.cases, clock)
    daily = daily_job(args.database_url, clock)
    pressed = next_presses(args.database_url, collector_ids[: args.collectors], args.presses, started, args.lockstep)
    bare, plan = bare_select(args.database_url, collector_ids[: args.collectors], clock)
    return 0 if report(args.cases, first_s, daily, pressed, bare, plan) else 1


if __name__ == "__main__":
    sys.exit(main())
