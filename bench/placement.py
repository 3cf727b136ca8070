"""Import a 100,000-row French placement file end to end and compare it with a bare COPY of the file.

    python -m bench.placement [--rows N] [--database-url URL] [--sqlite] [--no-tracemalloc]

The database (BENCH_DATABASE_URL, else amiable_bench on the local PostgreSQL) is dropped and
recreated, then migrated. The file is generated (fixed seed, not timed): invoices of about 60 %
as many distinct debtors as rows, companies with a SIRET and people with a first and last name,
";" separated, decimal commas, DD/MM/YYYY dates.

Three measures:
- the baseline: a bare `COPY … FROM STDIN (FORMAT csv)` of the same bytes into an unindexed table of
  text columns (best of three); on SQLite, one executemany of the parsed rows;
- the import, as the platform runs it in real mode: the check job (with the upload before it:
  receive_file, check_placement, confirm_placement, commit) in one fresh child process, then the
  import job (import_placement and the commit) in another, as RQ runs each job in a process of its
  own; `import_s` is the sum of both, from the file's bytes in memory to committed rows, and
  `peak_mb` the larger of the two processes' peak RSS (ru_maxrss), both printed;
- the same import again, into a fresh database, in a second child under tracemalloc (Python
  allocations only; slower, so not timed), rolled back.

The last line reads `placement rows=… import_s=… copy_s=… ratio=… peak_mb=…`.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import logging
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/amiable_bench"

from bench.placement_data import HEADERS, GeneratedFile, make_file  # noqa: E402
from bench.placement_report import INNER_STEPS, report  # noqa: E402


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database (PostgreSQL) or delete its file (SQLite)."""
    parsed = sa.engine.make_url(url)
    name = parsed.database or ""
    if "bench" not in os.path.basename(name):
        raise SystemExit(f"refusing to drop {name!r}: a benchmark database name must contain 'bench'")
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
        return
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"unexpected database name {name!r}")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def make_app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "TESTING": False})


def set_up(url: str) -> int:
    """Migrate the fresh database and create a client with a mandate in force; return its id."""
    from flask_migrate import upgrade

    from agency.clock import today
    from agency.db import db
    from agency.models import Client, Mandate

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)  # Alembic's "Running upgrade" lines would bury the figures
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        client = Client(
            code="BENCH",
            name="Créancier Bench SAS",
            address_line1="1 rue de la Paix",
            postcode="75002",
            city="Paris",
        )
        db.session.add(client)
        a_year_ago = today() - timedelta(days=365)
        db.session.add(
            Mandate(
                client=client,
                reference="MAN-BENCH",
                signed_on=a_year_ago,
                starts_on=a_year_ago,
                commission_bp=1500,
            )
        )
        db.session.commit()
        client_id = client.id
        db.engine.dispose()
    return client_id


def copy_baseline(url: str, file: GeneratedFile, runs: int = 3) -> float:
    """Return the best time of a bare load of the file into an unindexed table of text columns."""
    columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
    best = float("inf")
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        marks = ", ".join("?" * len(HEADERS))
        for _ in range(runs):
            connection = sqlite3.connect(parsed.database)
            connection.execute(f"CREATE TABLE bench_raw ({columns})")
            connection.commit()
            started = time.perf_counter()
            with open(file.path, encoding="utf-8", newline="") as text:
                reader = csv.reader(text, delimiter=";")
                next(reader)
                connection.executemany(f"INSERT INTO bench_raw VALUES ({marks})", reader)  # noqa: S608
            connection.commit()
            best = min(best, time.perf_counter() - started)
            _check_raw_count(connection.execute("SELECT count(*) FROM bench_raw").fetchone()[0], file)
            connection.execute("DROP TABLE bench_raw")
            connection.commit()
            connection.close()
        return best
    import psycopg

    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        for _ in range(runs):
            connection.execute(f"CREATE TABLE bench_raw ({columns})")
            connection.commit()
            started = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(
                    "COPY bench_raw FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'UTF8')"
                ) as copy,
                open(file.path, "rb") as data,
            ):
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
            connection.commit()
            best = min(best, time.perf_counter() - started)
            _check_raw_count(connection.execute("SELECT count(*) FROM bench_raw").fetchone()[0], file)
            connection.execute("DROP TABLE bench_raw")
            connection.commit()
    return best


def _check_raw_count(count: int, file: GeneratedFile) -> None:
    if count != file.rows:
        raise SystemExit(f"baseline loaded {count} rows instead of {file.rows}")


# --- the import, in a child process -------------------------------------------------------------


def _rss_mb() -> float:
    """Return the current resident set size in MB (Linux), 0 when unknown."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


def _max_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


# The import's inner steps, timed by wrapping them where they are looked up (module attributes).


def _instrument(timings: dict[str, dict[str, float]], phase: list[str]) -> None:
    """Wrap INNER_STEPS to add up their seconds in `timings[phase[0]]`."""
    from cases.placement import placements, plan, writer

    modules = {"placements": placements, "plan": plan, "writer": writer}
    for module, name, label in INNER_STEPS:
        target = modules[module]
        setattr(target, name, _timed(getattr(target, name), label, timings, phase))


def _timed(
    function: Callable, label: str, timings: dict[str, dict[str, float]], phase: list[str]
) -> Callable:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent = timings.setdefault(phase[0], {})
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

    return wrapper


def child(path: str, client_id: int, url: str, trace: bool, placement_id: int | None) -> dict[str, Any]:
    """Run one job of the import, as one worker process does: the check (with the upload before it)
    when `placement_id` is None, else the import of that checked and confirmed placement."""
    from agency.db import db
    from agency.models import Client
    from cases.placement import placements
    from cases.placement.models import Placement, PlacementSource

    app = make_app(url)
    with app.app_context():
        found: dict[str, Any] = {}
        if placement_id is None:
            data = Path(path).read_bytes()
            client = db.session.get(Client, client_id)  # opens the connection before the clock starts
            steps = [
                ("receive_file", lambda: found.update(placement=placements.receive_file(
                    client, data, os.path.basename(path), actor=None, source=PlacementSource.SHELL.value
                ))),
                ("check_placement", lambda: placements.check_placement(found["placement"])),
                ("confirm_placement", lambda: placements.confirm_placement(found["placement"], None)),
                ("commit (check job)", db.session.commit),
            ]  # fmt: skip
        else:
            found["placement"] = db.session.get(Placement, placement_id)
            steps = [
                ("import_placement", lambda: found.update(written=placements.import_placement(found["placement"], None))),
                ("commit", db.session.rollback if trace else db.session.commit),
            ]  # fmt: skip
        inner: dict[str, dict[str, float]] = {}
        phase = [""]
        _instrument(inner, phase)
        rss_start = _rss_mb()
        if trace:
            tracemalloc.start()
        phases, result = {}, {}
        started = time.perf_counter()
        for name, step in steps:
            if name.startswith("commit"):  # read before the commit expires them
                placement = found["placement"]
                result = {"placement_id": placement.id, "rows_rejected": placement.rows_rejected}
                if "written" in found:
                    written = found["written"]
                    result["written"] = {"debtors": written.debtors, "cases": written.cases_created,
                                         "claims": written.claims}  # fmt: skip
            if trace and name.startswith("commit"):
                result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            phase[0] = name
            mark = time.perf_counter()
            step()
            phases[name] = time.perf_counter() - mark
        total = time.perf_counter() - started
    return result | {
        "phases": phases,
        "inner": inner,
        "import_s": total,
        "rss_start_mb": rss_start,
        "max_rss_mb": _max_rss_mb(),
    }


def run_import(path: str, client_id: int, url: str, trace: bool = False) -> dict[str, Any]:
    """Run the check job, then the import job, each in a fresh process; return their figures together."""
    check = run_child(path, client_id, url, trace)
    done = run_child(path, client_id, url, trace, placement_id=check["placement_id"])
    return {
        "placement_id": check["placement_id"],
        "rows_rejected": check["rows_rejected"],
        "written": done["written"],
        "phases": check["phases"] | done["phases"],
        "inner": check["inner"] | done["inner"],
        "import_s": check["import_s"] + done["import_s"],
        "rss_start_mb": max(check["rss_start_mb"], done["rss_start_mb"]),
        "max_rss_mb": max(check["max_rss_mb"], done["max_rss_mb"]),
        "job_peaks_mb": {"check": check["max_rss_mb"], "import": done["max_rss_mb"]},
        "traced_peak_mb": max(check.get("traced_peak_mb", 0.0), done.get("traced_peak_mb", 0.0)),
    }


def run_child(
    path: str, client_id: int, url: str, trace: bool = False, placement_id: int | None = None
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.placement", "--child", path, "--client-id", str(client_id)]
    command += ["--database-url", url] + (["--trace"] if trace else [])
    command += ["--placement-id", str(placement_id)] if placement_id is not None else []
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the import child failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- checking and reporting ---------------------------------------------------------------------


def verify(url: str, placement_id: int, file: GeneratedFile) -> list[tuple[str, int, int]]:
    """Return (what, found, expected) for the written rows."""
    from agency.db import db
    from cases.models import Case, Claim, LedgerEntry
    from cases.placement.models import Placement
    from debtors.models import Debtor, DebtorReference

    def count(model, *where) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    app = make_app(url)
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        checks = [
            ("claims", count(Claim, Claim.placement_id == placement_id), file.rows),
            ("ledger entries", count(LedgerEntry), file.rows),
            (
                "claims total (cents)",
                db.session.scalar(
                    sa.select(sa.func.coalesce(sa.func.sum(Claim.amount_cents), 0)).where(
                        Claim.placement_id == placement_id
                    )
                ),
                file.total_cents,
            ),
            ("debtors created", count(Debtor), file.debtors),
            ("cases opened", count(Case, Case.placement_id == placement_id), file.debtors),
            ("customer codes kept", count(DebtorReference), file.debtors),
            ("rows rejected", placement.rows_rejected, 0),
            ("placement imported", int(placement.status == "imported"), 1),
        ]
        db.engine.dispose()
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.placement", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--sqlite", action="store_true", help="run on a temporary SQLite file instead")
    parser.add_argument(
        "--no-tracemalloc",
        dest="tracemalloc",
        action="store_false",
        help="skip the second import under tracemalloc (it takes several times as long)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--client-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--placement-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.client_id, args.database_url, args.trace, args.placement_id)))
        return 0
    with tempfile.TemporaryDirectory(prefix="amiable-bench-") as tmp:
        os.environ["AMIABLE_INSTANCE"] = tmp
        url = f"sqlite:///{tmp}/amiable_bench.db" if args.sqlite else args.database_url
        backend = sa.engine.make_url(url).get_backend_name()
        file = make_file(args.rows, tmp)
        recreate_database(url)
        client_id = set_up(url)
        baseline = copy_baseline(url, file)
        timed = run_import(file.path, client_id, url)
        checks = verify(url, timed["placement_id"], file)
        traced = None
        if args.tracemalloc:
            recreate_database(url)  # the traced run imports the same file again, into a fresh database
            traced = run_import(file.path, set_up(url), url, trace=True)
        ok = report(file, backend, baseline, timed, traced, checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
