"""The rows a check accepted and refused, kept so that the import does not parse the file again.

Parsing and checking every cell is most of a check's time; what it yields depends on the file and
the mapping only. What depends on the database (invoices placed before, known debtors, open cases)
is kept too, with the state of the database it was settled against: the import reuses it only when
that state is unchanged, and settles the rows again otherwise, since the preview may be old.

Stored as compressed frames of marshal data (plain tuples and lists, dates as ordinals), written
and read a piece at a time: reading them back takes a third of the time JSON did. The bytes are only
ever written by `dump` into the placement's own row; another Python's marshal version, or an older
format, is simply not reused (the rows are parsed again).
"""

from __future__ import annotations

import dataclasses
import marshal
import operator
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from cases.placement.reader import gc_paused
from cases.placement.rows import Record, Rejection

_RECORD_FIELDS = [f.name for f in dataclasses.fields(Record)]
_record_values = operator.attrgetter(*_RECORD_FIELDS)
_DATES = [i for i, name in enumerate(_RECORD_FIELDS) if name in ("issue_date", "due_date")]
_REJECTION_FIELDS = [f.name for f in dataclasses.fields(Rejection)]
_BATCH = 1000  # records per stored frame
VERSION = 3  # bump when Record or Rejection change: older stored checks are then parsed again
# Outside the compressed stream, so that anything else (an older format) is recognised unread.
_MAGIC = b"AMCR" + bytes([VERSION, marshal.version])
_LENGTH = struct.Struct("<I")  # each frame's size, before it


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
    # Frame by frame (a header, then batches of records), compressed as it goes: the whole of a big
    # file's rows is never held serialised at once.
    compressor = zlib.compressobj(1)
    rejections = [[getattr(r, name) for name in _REJECTION_FIELDS] for r in checked.rejections]
    header = {"rows_total": checked.rows_total, "rejections": rejections, "settled": checked.settled}
    parts = [_MAGIC, compressor.compress(_frame(header))]
    accepted = checked.accepted
    for start in range(0, len(accepted), _BATCH):
        batch = []
        for record in accepted[start : start + _BATCH]:
            values = list(_record_values(record))
            for i in _DATES:
                values[i] = values[i].toordinal()
            batch.append(values)
        parts.append(compressor.compress(_frame(batch)))
    parts.append(compressor.flush())
    return b"".join(parts)


def _frame(value) -> bytes:
    data = marshal.dumps(value)
    return _LENGTH.pack(len(data)) + data


def load(data: bytes | None) -> CheckedRows | None:
    """Return the stored rows, or None when there are none or they were stored by another version."""
    if not data:
        return None
    with gc_paused():
        return _load(data)


def _load(data: bytes) -> CheckedRows | None:
    if not data.startswith(_MAGIC):
        return None
    frames = _frames(data, len(_MAGIC))
    header = marshal.loads(next(frames))
    accepted = []
    for frame in frames:
        for values in marshal.loads(frame):
            for i in _DATES:
                values[i] = date.fromordinal(values[i])
            accepted.append(Record(*values))
    rejections = [Rejection(*values) for values in header["rejections"]]
    return CheckedRows(header["rows_total"], accepted, rejections, header["settled"])


def _frames(data: bytes, offset: int) -> Iterator[bytes]:
    """Yield the stored frames, decompressing a piece at a time."""
    decompressor = zlib.decompressobj()
    pending = b""
    for start in range(offset, len(data), 1 << 16):
        pending += decompressor.decompress(data[start : start + (1 << 16)])
        pending = yield from _complete_frames(pending)
    pending += decompressor.flush()
    pending = yield from _complete_frames(pending)
    if pending:
        raise ValueError("the stored rows end in the middle of a frame")


def _complete_frames(pending: bytes) -> Iterator[bytes]:
    """Yield the whole frames at the start of `pending`; return what is left of it."""
    position = 0
    while len(pending) - position >= _LENGTH.size:
        (size,) = _LENGTH.unpack_from(pending, position)
        end = position + _LENGTH.size + size
        if end > len(pending):
            break
        yield pending[position + _LENGTH.size : end]
        position = end
    return pending[position:]
