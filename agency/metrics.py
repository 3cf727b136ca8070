"""Request and job counts and durations for Prometheus, served at /metrics (agency.ops_views).

Under gunicorn each worker process counts on its own; with `PROMETHEUS_MULTIPROC_DIR` set (an empty folder
per machine, emptied when gunicorn starts: agency.gunicorn_config) every process writes its figures there and
/metrics adds them up, whichever worker answers. RQ workers started with the same folder on the same machine
are added up too. Without it (one process: `flask run`, the tests) the figures are the process's own.

Labels stay few: the route's endpoint name (not the path, which holds ids), the method among the usual ones,
the status code, the job's function. Each distinct value is a series kept forever.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Pages answer in tens of milliseconds, exports and bulk actions in seconds, jobs up to their timeout (600 s).
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
JOB_BUCKETS = (0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600)

REQUESTS = Counter("amiable_http_requests", "HTTP requests answered", ["method", "endpoint", "status"])
REQUEST_SECONDS = Histogram("amiable_http_request_duration_seconds", "Time to answer an HTTP request",
                            ["method", "endpoint"], buckets=REQUEST_BUCKETS)
JOBS = Counter("amiable_jobs", "Background jobs run, by outcome (done or failed)", ["job", "outcome"])
JOB_SECONDS = Histogram("amiable_job_duration_seconds", "Time a background job ran", ["job"], buckets=JOB_BUCKETS)

# A job that calls another job's function directly is one job: only the outermost is counted.
_in_job: ContextVar[bool] = ContextVar("amiable_metrics_in_job", default=False)


def init_app(app: Flask) -> None:
    """Time every request and count it by endpoint and status."""
    app.before_request(_start_timer)
    app.after_request(_count_request)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    method = request.method if request.method in METHODS else "other"
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(method, endpoint, str(response.status_code)).inc()
    if started is not None:
        REQUEST_SECONDS.labels(method, endpoint).observe(time.perf_counter() - started)
    return response


@contextmanager
def measure_job(name: str) -> Iterator[None]:
    """Count the job run in the block and time it; a failure is counted, then raised again."""
    if _in_job.get():
        yield
        return
    token = _in_job.set(True)
    started, outcome = time.perf_counter(), "failed"
    try:
        yield
        outcome = "done"
    finally:
        JOBS.labels(name, outcome).inc()
        JOB_SECONDS.labels(name).observe(time.perf_counter() - started)
        _in_job.reset(token)


def exposition() -> tuple[bytes, str]:
    """Return the figures in Prometheus' text format, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


def caller_allowed(remote_addr: str | None, authorization: str, token: str, allowed: str) -> bool:
    """Tell whether a caller may read the figures: with the bearer `token` (when one is set), or from one of the
    `allowed` networks (comma-separated addresses or CIDR blocks)."""
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    for network in filter(None, (part.strip() for part in allowed.split(","))):
        if address in ipaddress.ip_network(network, strict=False):
            return True
    return False
