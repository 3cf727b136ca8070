"""gunicorn's settings for the web processes, read from the environment.

    gunicorn -c python:agency.gunicorn_config 'app:create_app()'

(`gunicorn.conf.py` at the top of the checkout imports this module, so a plain `gunicorn 'app:create_app()'` started
there reads it too.) Every setting below has an environment variable; the defaults suit a machine of 2–4 cores.

| variable | default | what it does |
|---|---|---|
| `GUNICORN_BIND` | `127.0.0.1:8000` | where to listen (behind a reverse proxy; `0.0.0.0:8000` to listen on every interface) |
| `GUNICORN_WORKERS` | 2 × cores + 1 | worker processes |
| `GUNICORN_THREADS` | 4 | threads per worker: requests waiting on the database or Redis do not hold a whole process |
| `GUNICORN_TIMEOUT` | 60 | seconds a worker may stay silent before it is killed and replaced |
| `GUNICORN_GRACEFUL_TIMEOUT` | 30 | seconds to finish the requests in flight on a restart |
| `GUNICORN_KEEPALIVE` | 5 | seconds to keep an idle connection from the proxy |
| `GUNICORN_MAX_REQUESTS` | 2000 | a worker is replaced after this many requests (± 10 %), which bounds any slow growth of memory |
| `GUNICORN_ACCESS_LOG` | `-` | the access log (`-`: standard output; empty: none) |
| `GUNICORN_CONTROL_SOCKET` | – | the path of gunicorn's control socket (for `gunicornc`); none without it |
| `PROMETHEUS_MULTIPROC_DIR` | – | a folder for the workers' figures, emptied at start, one per machine (agency.metrics) |

Each access-log line ends with the request's id (`X-Request-ID`, agency.request_id), as the application's
own lines about the request do, and with the time taken in microseconds.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

_env = os.environ.get

bind = _env("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(_env("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
# gthread: with threads, a long request (an export streamed for a minute) does not trip the timeout, which
# then only catches a worker that is stuck as a whole.
worker_class = "gthread"
threads = int(_env("GUNICORN_THREADS", "4"))
timeout = int(_env("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = _env("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s request_id=%({x-request-id}o)s'
# Behind the proxy: X-Forwarded-* are read by the app (PROXY_FIX), not by gunicorn.
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "amiable-web"
# gunicorn's control socket (gunicornc, gunicorn 25.1 and later) is off unless given a path: at its default
# path in the home folder, two gunicorns of one user would take each other's.
control_socket = _env("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


def on_starting(server) -> None:
    """Empty the figures folder: the files of processes of an earlier run would be added to this one's."""
    folder = _env("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    """Let the figures of a worker that stopped count no more as a live process's (Prometheus' own advice)."""
    if _env("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
