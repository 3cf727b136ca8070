"""Periodic jobs for real mode, read by `flask agency cron` (agency.processes.run_cron).

Embedded mode runs the same list on a thread (agency.jobs.SchedulerThread); both take it from
agency.jobs.PERIODIC, so a periodic job is declared once, with `@periodic`.
"""

from rq import cron

from agency.jobs import PERIODIC, import_job_modules, run_periodic

import_job_modules()
for entry in PERIODIC:
    # The run takes the job's own timeout (RQ's default of 180 s would stop a long daily run); a failed run
    # is tried again at its next interval, and shows on the System page meanwhile.
    cron.register(run_periodic, "default", args=(entry.name,), interval=entry.interval, name=entry.name,
                  job_timeout=entry.func.timeout)
