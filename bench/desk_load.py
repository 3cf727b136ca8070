"""Load the platform as a working day does: 50 collectors and 10 client users against gunicorn on PostgreSQL + Redis.

    python -m bench.desk_load [--database-url URL] [--seconds 300] [--collectors 50] [--clients 10]

Run on a database `bench.desk` filled (it calls `run_load` itself after its timings; alone, this reuses the
database as it is). Accounts are added for the load (one per simulated person, the password hashed as any other),
then the platform is served as in production — gunicorn with the project's settings, one RQ worker, Redis db
BENCH_LOAD_REDIS_DB (13) emptied first — and locust (bench/locust_desk.py) plays the people for the given time,
each waiting 5 to 15 s between actions. The table gives, per page, the requests, p50 and p95 from locust's own
figures, and the errors; the last line `load users=… p95_ms=… worst_page_p95_ms=… errors=…`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time as clock
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/amiable_bench_desk"
PASSWORD = "bench-load-person"  # noqa: S105  (throwaway accounts of a bench database)
TARGET_MS = 300


@dataclass
class LoadResult:
    users: int
    requests: int
    p95_ms: float
    worst_page: str
    worst_page_p95_ms: float
    errors: int
    table: list[dict]


def prepare(database_url: str, collectors: int, clients: int) -> dict:
    """Add the accounts the load signs in with (once; reused on a second run) and pick what they look at."""
    from agency.db import db
    from agency.models import Client, Role, Team, User
    from app import create_app
    from cases.models import Case

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": "", "TESTING": False,
                      "SCHEDULER_THREAD": False})
    with app.app_context():
        teams = db.session.scalars(sa.select(Team).order_by(Team.id)).all()
        plan = {"password": PASSWORD, "collectors": [], "clients": []}
        for n in range(collectors):
            email = f"load-collector-{n:02d}@bench.example"
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                user = User(email=email, name=f"Chargé {n:02d}", role=Role.COLLECTOR.value,
                            teams=[teams[n % len(teams)]] if teams else [])
                user.set_password(PASSWORD)
                db.session.add(user)
            plan["collectors"].append({"email": email})
        for client in db.session.scalars(sa.select(Client).order_by(Client.id).limit(clients)):
            email = f"load-client-{client.id:02d}@bench.example"
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                user = User(email=email, name=f"Client {client.code}", role=Role.CLIENT.value, client_id=client.id)
                user.set_password(PASSWORD)
                db.session.add(user)
            own = db.session.scalars(sa.select(Case.id).where(Case.client_id == client.id).limit(200)).all()
            plan["clients"].append({"email": email, "case_ids": own})
        db.session.commit()
        db.session.remove()
    plan |= sample(database_url)
    return plan


def sample(database_url: str) -> dict:
    """Cases the collectors open and what they type in the search box: 500 cases spread over the table (every
    n-th id), the last names of 200 of their debtors and 50 of their references."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        top = connection.scalar(sa.text("SELECT max(id) FROM collection_case")) or 1
        step = max(1, top // 500)
        rows = connection.execute(sa.text(
            "SELECT c.id, c.reference, coalesce(nullif(d.last_name, ''), d.company_name) AS name "
            "FROM collection_case c JOIN debtor d ON d.id = c.debtor_id WHERE c.id % :step = 0 ORDER BY c.id LIMIT 500"),
            {"step": step}).all()
    engine.dispose()
    return {"case_ids": [r.id for r in rows],
            "terms": [r.name for r in rows[:200] if r.name] + [r.reference for r in rows[200:250]]}


def working_morning(today: date) -> datetime:
    """The next Tuesday at 10:00 in Paris, in UTC: the platform is served as on a working morning whatever the day
    the bench runs, so that "Next" leases cases the contact rules let a collector call, as on a real working day
    (on a Sunday evening every case would be refused, and "Next" would time that)."""
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    return datetime.combine(tuesday, time(10, 0), ZoneInfo("Europe/Paris")).astimezone(UTC).replace(tzinfo=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310  (our own local server)
            return
        except OSError:
            clock.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer:\n{log.read_text()[-3000:]}")


def run_load(database_url: str, *, seconds: int = 300, collectors: int = 50, clients: int = 10,
             redis_db: int | None = None) -> LoadResult:
    """Serve the platform on `database_url` and play the people against it for `seconds`; return locust's figures."""
    redis_db = int(os.environ.get("BENCH_LOAD_REDIS_DB", "13")) if redis_db is None else redis_db
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    plan = prepare(database_url, collectors, clients)
    work = Path(tempfile.mkdtemp(prefix="amiable-load-"))
    (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    (work / "metrics").mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "bench-load",
                        "AMIABLE_INSTANCE": str(work / "instance"), "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
                        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": "",
                        "DESK_LOAD_PLAN": str(work / "plan.json")}
    python = sys.executable
    env |= {"TZ": "UTC"}  # the moment below is written in UTC
    at = ["faketime", "-m", "-f", f"@{working_morning(date.today()):%Y-%m-%d %H:%M:%S}"]
    started = []
    try:
        log = work / "gunicorn.log"
        started.append(subprocess.Popen(
            [*at, python, "-m", "gunicorn", "-c", "python:agency.gunicorn_config", "app:create_app()"], cwd=ROOT, env=env,
            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True))
        started.append(subprocess.Popen(
            [*at, python, "-m", "flask", "--app", "app", "agency", "worker"], cwd=ROOT, env=env,
            stdout=(work / "worker.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True))
        wait_until_up(base, started[0], log)
        users = collectors + clients
        subprocess.run(
            [python, "-m", "locust", "-f", str(ROOT / "bench" / "locust_desk.py"), "--headless", "--host", base,
             "-u", str(users), "-r", "2", "-t", f"{seconds}s", "--csv", str(work / "load"),
             "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
            cwd=ROOT, env=env, check=True, timeout=seconds + 300)
    finally:
        for process in started:
            stop(process)
    return read_figures(work / "load_stats.csv", users)


def stop(process: subprocess.Popen) -> None:
    """Stop a server or worker as a deployment does (SIGTERM: finish what is in hand), then for good."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # a job still running when the bench is over is not measured
        process.wait(10)


def read_figures(stats_csv: Path, users: int) -> LoadResult:
    rows = list(csv.DictReader(stats_csv.open(encoding="utf-8")))
    table = [{"page": f"{r['Type']} {r['Name']}", "requests": int(r["Request Count"]), "errors": int(r["Failure Count"]),
              "p50": float(r["50%"]), "p95": float(r["95%"])} for r in rows if r["Name"] != "Aggregated"]
    total = next(r for r in rows if r["Name"] == "Aggregated")
    # Signing in is once per person (and hashes the password slowly on purpose), not a page of the working day.
    measured = [row for row in table if not row["page"].endswith((" sign in", " account"))]
    worst = max(measured, key=lambda row: row["p95"])
    return LoadResult(users=users, requests=int(total["Request Count"]), p95_ms=float(total["95%"]),
                      worst_page=worst["page"], worst_page_p95_ms=worst["p95"],
                      errors=int(total["Failure Count"]), table=table)


def print_table(result: LoadResult) -> None:
    print(f"{'page':<28}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>10}")
    for row in result.table:
        print(f"{row['page']:<28}{row['requests']:>10}{row['p50']:>10.0f}{row['p95']:>10.0f}{row['errors']:>10}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DESK_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--collectors", type=int, default=50)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args(argv)
    result = run_load(args.database_url, seconds=args.seconds, collectors=args.collectors, clients=args.clients)
    print_table(result)
    print(f"load users={result.users} p95_ms={result.p95_ms:.0f} worst_page={result.worst_page!r} "
          f"worst_page_p95_ms={result.worst_page_p95_ms:.0f} errors={result.errors}")
    return 1 if result.errors or result.worst_page_p95_ms >= TARGET_MS else 0


if __name__ == "__main__":
    raise SystemExit(main())
