"""Embedded mode never refuses a user while its background work runs.

The platform is started as `make run` starts it (its own SQLite file, the demo loaded, `flask run` with
the scheduler thread), and people sign in while the demo's first background run (the strategy, the
missing receipts: a minute of writing) goes on. None is refused, none waits more than two seconds,
and a shell command writing to the same database gets in too.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.no_db

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql).fetchone()[0]


BACKGROUND_WRITES = "SELECT count(*) FROM audit_event WHERE action NOT LIKE 'user.%' AND action NOT LIKE 'api_token.%'"
RECEIPTS = "SELECT count(*) FROM payment WHERE receipt_path != ''"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """The platform as `make run` serves it, with the demo loaded and the scheduler not yet started."""
    instance = tmp_path_factory.mktemp("embedded")
    # The platform runs as deployed, on the machine's clock: under a suite-wide libfaketime, whose faked
    # monotonic clock never lets the scheduler thread's timed wait end, it would never tick.
    left_out = ("DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "LD_PRELOAD", "FAKETIME")
    env = {k: v for k, v in os.environ.items() if k not in left_out}
    env |= {"AMIABLE_INSTANCE": str(instance), "AMIABLE_SCHEDULER_THREAD": "1"}
    for command in (["db", "upgrade"], ["agency", "demo"]):
        subprocess.run(FLASK + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        FLASK + ["run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{url}/login", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield url, instance / "amiable.db", env
    finally:
        server.terminate()
        server.wait(timeout=30)


def _sign_in(url: str) -> tuple[int, float]:
    with requests.Session() as browser:
        token = CSRF_RE.search(browser.get(f"{url}/login", timeout=30).text).group(1)
        started = time.perf_counter()
        response = browser.post(
            f"{url}/login",
            data={"email": "collector@amiable.example", "password": "collector-demo-2026", "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        return response.status_code, time.perf_counter() - started


def _wait_for_more(db_path: Path, sql: str, seconds: float) -> int:
    """Wait until the count of `sql` grows (background work writing), and return it."""
    before, deadline = _count(db_path, sql), time.monotonic() + seconds
    while (now := _count(db_path, sql)) == before:
        assert time.monotonic() < deadline, f"no background write seen in {seconds} s: {sql}"
        time.sleep(0.2)
    return now


def test_people_sign_in_while_the_first_background_run_goes_on(platform):
    url, db_path, env = platform
    # The first request started the scheduler; its first round begins a few seconds later with the
    # strategy (one transaction per automatic action), then the demo's missing receipts (a PDF each).
    started_with = _wait_for_more(db_path, BACKGROUND_WRITES, 60)
    attempts = [_sign_in(url) for _ in range(10)]
    _wait_for_more(db_path, RECEIPTS, 180)
    attempts += [_sign_in(url) for _ in range(10)]
    shell = subprocess.run(FLASK + ["agency", "api-token", "ENERGIA", "--name", "ERP pendant la relance"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    ended_with = _count(db_path, BACKGROUND_WRITES)

    assert [status for status, _ in attempts] == [302] * 20
    slowest = max(seconds for _, seconds in attempts)
    assert slowest < 2.0, f"a sign-in waited {slowest:.1f} s: {[round(s, 2) for _, s in attempts]}"
    assert shell.returncode == 0, shell.stderr
    assert ended_with > started_with
    assert _count(db_path, RECEIPTS) < _count(db_path, "SELECT count(*) FROM payment"), "the run was over"
