"""The platform installs as a package: a wheel built from the checkout runs it from anywhere, under gunicorn.

The wheel is built from a copy of the checkout (nothing written into it) and installed into a fresh virtual
environment whose only other packages are this one's dependencies (a .pth file names them; none is downloaded).
From a folder of its own, with no path to the checkout, the installed platform migrates a new SQLite database
and serves its pages under gunicorn with two workers, whose request figures /metrics adds up.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from agency.config import ROOT

SKIP = shutil.ignore_patterns(".git", ".venv", "instance", "tests", "bench", "docs", "build", "*.egg-info",
                              "__pycache__", "*.pyc", "*.mo", ".pytest_cache", ".ruff_cache", ".hypothesis",
                              "test-artifacts")
PACKAGES = ("agency", "cases", "debtors", "money", "reports", "alerts", "demo", "debtor_space")


def run(args: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=180, **kwargs)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(tmp / "dist"), str(source)])
    (wheel,) = (tmp / "dist").glob("amiable-*.whl")
    return wheel


def fresh_venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    # The dependencies, from this environment; a plain path in a .pth does not run that folder's own .pth files,
    # so the checkout's editable install stays out of sight.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "amiable_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)])
    return python


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a local server of the test)
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn stopped:\n{log.read_text()}")
        try:
            if get(f"{base}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer:\n{log.read_text()}")


@pytest.mark.no_db
def test_a_wheel_of_the_checkout_runs_the_platform_from_another_folder(tmp_path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names, package
    assert "app.py" in names
    assert "amiable_data/templates/base.html" in names
    assert "amiable_data/static/amiable.css" in names
    assert "amiable_data/migrations/env.py" in names
    assert any(n.startswith("amiable_data/migrations/versions/0001_") for n in names)
    assert "amiable_data/translations/fr/LC_MESSAGES/messages.mo" in names  # compiled by the build
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]

    python = fresh_venv(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL", "TEST_DATABASE_URL",
                                                            "REDIS_URL", "AMIABLE_INSTANCE")}
    env |= {"DATABASE_URL": f"sqlite:///{elsewhere / 'amiable.db'}", "AMIABLE_INSTANCE": str(elsewhere / "instance"),
            "SECRET_KEY": "wheel-test", "AMIABLE_SCHEDULER_THREAD": "0",
            "PROMETHEUS_MULTIPROC_DIR": str(elsewhere / "metrics")}
    where = run([python, "-c", "import app, agency, cases; print(app.__file__, agency.__file__, cases.__file__)"],
                cwd=elsewhere, env=env).stdout
    assert str(ROOT) not in where and str(tmp_path / "venv") in where
    # "heads", as the test database is built: the migrations in the wheel are what is checked here, and a
    # branch still open in a checkout (two revisions being written at once) must not fail this test.
    run([python, "-m", "flask", "--app", "app", "db", "upgrade", "heads"], cwd=elsewhere, env=env)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = elsewhere / "gunicorn.log"
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "-c", "python:agency.gunicorn_config", "app:create_app()"], cwd=elsewhere,
        env=env | {"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "2"},
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(base, server, log)
        status, body, _ = get(f"{base}/healthz")
        assert status == 200 and '"database":"ok"' in body.replace(" ", "")
        status, page, headers = get(f"{base}/login")
        assert status == 200 and "Se connecter" in page  # templates and compiled French catalogue
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
        assert get(f"{base}/static/amiable.css")[0] == 200
        for _ in range(5):
            get(f"{base}/login")
        status, figures, _ = get(f"{base}/metrics")
        assert status == 200
        # Whichever worker answered each request, /metrics adds up every worker's figures.
        served = [float(v) for v in re.findall(
            r'amiable_http_requests_total\{[^}]*endpoint="agency\.login"[^}]*status="200"[^}]*\} (\S+)', figures)]
        assert sum(served) == 6, figures
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    assert "request_id=" in log.read_text()  # the access log's lines carry the id
