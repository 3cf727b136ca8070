"""The rows a check accepted and refused, kept so that the import does not parse the file again.

Parsing and checking every cell is most of a check's time; what it yields depends on the file and
the mapping only. What depends on the database (invoices placed before, known debtors, open cases)
is kept too, with the state of the database it was settled against: the import reuses it only when
that state is unchanged, and settles the rows again otherwise, since the preview may be old.

Stored as compressed JSON lines of plain lists (dates as ordinals), written and read a piece at a
time: portable between workers, and much cheaper than parsing the file again.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from cases.placement.reader import gc_paused
from cases.placement.rows import Record, Rejection

_RECORD_FIELDS = [f.name for f in dataclasses.fields(Record)]
_record_values = operator.attrgetter(*_RECORD_FIELDS)
_DATES = [i for i, name in enumerate(_RECORD_FIELDS) if name in ("issue_date", "due_date")]
_TUPLES = [i for i, name in enumerate(_RECORD_FIELDS) if name in ("phones", "emails")]
_REJECTION_FIELDS = [f.name for f in dataclasses.fields(Rejection)]
_BATCH = 1000  # records per stored line
VERSION = 2  # bump when Record or Rejection change: older stored checks are then parsed again


@dataclass
class CheckedRows:
    """What parsing a file with a mapping gave: every row accepted or refused, in file order."""

    rows_total: int
    accepted: list[Record]
    rejections: list[Rejection]
    # What the check settled against the database, for the import to reuse when nothing changed
    # since (see cases.placement.plan.restore); plain JSON values.
    settled: dict | None = None


def dump(checked: CheckedRows) -> bytes:
    """Return the compressed form stored with the placement's file."""
    with gc_paused():  # many small lists and no cycle: collections would only rescan them
        return _dump(checked)


def _dump(checked: CheckedRows) -> bytes:
    # Line by line (a header, then batches of records), compressed as it goes: the whole text of a
    # big file is never held at once.
    compressor = zlib.compressobj(1)
    rejections = [[getattr(r, name) for name in _REJECTION_FIELDS] for r in checked.rejections]
    header = {
        "version": VERSION,
        "rows_total": checked.rows_total,
        "rejections": rejections,
        "settled": checked.settled,
    }
    parts = [compressor.compress(_json_line(header))]
    accepted = checked.accepted
    for start in range(0, len(accepted), _BATCH):
        batch = []
        for record in accepted[start : start + _BATCH]:
            values = list(_record_values(record))
            for i in _DATES:
                values[i] = values[i].toordinal()
            batch.append(values)
        parts.append(compressor.compress(_json_line(batch)))
    parts.append(compressor.flush())
    return b"".join(parts)


def _json_line(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode() + b"\n"


def load(data: bytes | None) -> CheckedRows | None:
    """Return the stored rows, or None when there are none or they were stored by another version."""
    if not data:
        return None
    with gc_paused():
        return _load(data)


def _load(data: bytes) -> CheckedRows | None:
    lines = _lines(data)
    header = json.loads(next(lines))
    if header.get("version") != VERSION:
        return None
    accepted = []
    for line in lines:
        for values in json.loads(line):
            for i in _DATES:
                values[i] = date.fromordinal(values[i])
            for i in _TUPLES:
                values[i] = tuple(values[i])
            accepted.append(Record(*values))
    rejections = [Rejection(*values) for values in header["rejections"]]
    return CheckedRows(header["rows_total"], accepted, rejections, header.get("settled"))


def _lines(data: bytes) -> Iterator[bytes]:
    """Yield the stored lines, decompressing a piece at a time."""
    decompressor = zlib.decompressobj()
    pending = b""
    for start in range(0, len(data), 1 << 16):
        pending += decompressor.decompress(data[start : start + (1 << 16)])
        *complete, pending = pending.split(b"\n")
        yield from complete
    pending += decompressor.flush()
    yield from (line for line in pending.split(b"\n") if line)
