"""Periodic jobs for real mode, read by `flask agency cron` (agency.processes.run_cron).

Embedded mode runs the same list on a thread (agency.jobs.SchedulerThread); both take it from
agency.jobs.PERIODIC, so a periodic job is declared once, with `@periodic`.
"""

from rq import cron

from agency.jobs import PERIODIC, import_job_modules, run_periodic

import_job_modules()
for entry in PERIODIC:
    cron.register(run_periodic, "default", args=(entry.name,), interval=entry.interval, name=entry.name)
