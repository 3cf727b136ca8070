"""Reading an XLS or XLSB workbook in a child process with a memory ceiling.

calamine builds a sheet as one dense grid from its first cell to its farthest: a 6 KB XLS with a cell in
A1 and one in IV65536 takes a gigabyte, and an XLSB's grid has no bound at all (a failed allocation in
calamine aborts the whole process, web worker or job worker alike). XLSX and ODS are scanned before
calamine opens them (cases.placement.archive); these binary formats are not, so they are read in a child
whose address space is capped at the placement's memory budget: a file that needs more kills only the
child, and the upload is refused with a clear message.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from cases.placement.limits import ReadError

if TYPE_CHECKING:  # the reader imports this module
    from cases.placement.reader import Table

# What a placement may use (bench.placement: 100,000 invoices checked and imported within 400 MB). The
# largest sheet the limits admit reads in about a quarter of it.
MEMORY_CEILING = 400 * 1024 * 1024
CPU_SECONDS = 120
WALL_SECONDS = 300
_ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)


def too_large_to_read() -> ReadError:
    return ReadError(_l("The spreadsheet needs more memory to read than a placement may use (its cells "
                        "spread too far): send it as CSV or XLSX, or split it."))


def read_apart(data: bytes) -> Table:
    """Read the first sheet of an XLS or XLSB in a child process; return its `Table` or raise `ReadError`."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cases.placement.apart"], input=data, capture_output=True,
            timeout=WALL_SECONDS, env=env, cwd=_ROOT, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise too_large_to_read() from exc
    if done.returncode != 0 or not done.stdout:  # killed at the ceiling (calamine aborts), or out of CPU
        if b"Traceback" in done.stderr and b"MemoryError" not in done.stderr:  # a crash of ours, not the ceiling
            log.error("reading a workbook apart failed:\n%s", done.stderr.decode(errors="replace")[-4000:])
        raise too_large_to_read()
    outcome = pickle.loads(done.stdout)  # written by our own child, below
    if isinstance(outcome, ReadError):
        raise outcome
    return outcome


def _child() -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    from cases.placement.reader import gc_paused, read_workbook  # after the ceiling: imports count too

    data = sys.stdin.buffer.read()
    try:
        with gc_paused():
            outcome = read_workbook(data)
    except ReadError as exc:
        outcome = exc
    except MemoryError:
        return 1
    sys.stdout.buffer.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(_child())
