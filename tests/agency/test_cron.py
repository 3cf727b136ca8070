"""`flask agency cron` registers every periodic job with the job's own timeout, not RQ's 180 s."""

from __future__ import annotations

import importlib


def test_each_periodic_run_takes_its_jobs_timeout(app):
    from rq import cron

    from agency.jobs import PERIODIC

    with app.app_context():
        importlib.reload(importlib.import_module("agency.cron"))
    registered = {entry["name"]: entry for entry in cron._job_data_registry}
    assert registered and set(registered) >= {p.name for p in PERIODIC}
    for periodic in PERIODIC:
        assert registered[periodic.name]["job_timeout"] == periodic.func.timeout
    assert any(p.func.timeout > 180 for p in PERIODIC)
