"""Real processes for the tests of real mode: a Redis server of the test's own, which it stops and starts,
and the platform's commands (a worker, the cron) started on an app of the test's own and killed at will.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from flask import Flask
from redis import Redis

ROOT = Path(__file__).resolve().parents[1]
WAIT = 30  # seconds, at most, for anything a test waits for


class OwnRedis:
    """A redis-server process on a free port, stopped and started by the test (nothing kept on disk)."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        probe = Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                if probe.ping():
                    return
            except Exception:  # noqa: BLE001 (not up yet)
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def process_env(app: Flask, instance: Path, redis_url: str, settings: dict | None = None) -> dict:
    """The environment of a process running `app` (its database) on `redis_url`, with extra settings."""
    env = os.environ | {k: str(v) for k, v in (settings or {}).items()} | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
        "AMIABLE_INSTANCE": str(instance), "SECRET_KEY": "process-test", "AMIABLE_SCHEDULER_THREAD": "0",
    }
    env.pop("TEST_DATABASE_URL", None)
    return env


def start(args: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    """Start a process from the project's folder, in a process group of its own, its output in a log."""
    log = open(log_path, "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def kill(process: subprocess.Popen) -> None:
    """Kill the process and those it forked (a worker's RQ scheduler) at once, as a crashed machine would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(WAIT)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT} s for {what}")
        time.sleep(0.05)
