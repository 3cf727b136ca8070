"""The rows a check accepted and refused, kept so that the import does not parse the file again.

Parsing and checking every cell is most of a check's time; what it yields depends on the file and
the mapping only. The import still redoes what depends on the database (invoices placed meanwhile,
debtors known meanwhile, open cases), since the preview may be old when the user confirms.

Stored as compressed JSON of plain lists (dates as ordinals): portable between workers, and about a
tenth of the time of parsing the file again.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import zlib
from dataclasses import dataclass
from datetime import date

from cases.placement.reader import gc_paused
from cases.placement.rows import Record, Rejection

_RECORD_FIELDS = [f.name for f in dataclasses.fields(Record)]
_record_values = operator.attrgetter(*_RECORD_FIELDS)
_DATES = [i for i, name in enumerate(_RECORD_FIELDS) if name in ("issue_date", "due_date")]
_TUPLES = [i for i, name in enumerate(_RECORD_FIELDS) if name in ("phones", "emails")]
_REJECTION_FIELDS = [f.name for f in dataclasses.fields(Rejection)]
VERSION = 1  # bump when Record or Rejection change: older stored checks are then parsed again


@dataclass
class CheckedRows:
    """What parsing a file with a mapping gave: every row accepted or refused, in file order."""

    rows_total: int
    accepted: list[Record]
    rejections: list[Rejection]


def dump(checked: CheckedRows) -> bytes:
    """Return the compressed form stored with the placement's file."""
    with gc_paused():  # many small lists and no cycle: collections would only rescan them
        return _dump(checked)


def _dump(checked: CheckedRows) -> bytes:
    records = []
    for record in checked.accepted:
        values = list(_record_values(record))
        for i in _DATES:
            values[i] = values[i].toordinal()
        records.append(values)
    rejections = [[getattr(r, name) for name in _REJECTION_FIELDS] for r in checked.rejections]
    document = {
        "version": VERSION,
        "rows_total": checked.rows_total,
        "records": records,
        "rejections": rejections,
    }
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 1)


def load(data: bytes | None) -> CheckedRows | None:
    """Return the stored rows, or None when there are none or they were stored by another version."""
    if not data:
        return None
    with gc_paused():
        return _load(data)


def _load(data: bytes) -> CheckedRows | None:
    document = json.loads(zlib.decompress(data))
    if document.get("version") != VERSION:
        return None
    accepted = []
    for values in document["records"]:
        for i in _DATES:
            values[i] = date.fromordinal(values[i])
        for i in _TUPLES:
            values[i] = tuple(values[i])
        accepted.append(Record(*values))
    rejections = [Rejection(*values) for values in document["rejections"]]
    return CheckedRows(document["rows_total"], accepted, rejections)
