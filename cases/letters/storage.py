"""Issued documents on disk, under the documents folder: written once, never overwritten, checked on reading.

A file's name carries the start of its SHA-256, so a retried issue that rendered other bytes writes
another file instead of replacing one a debtor may already hold; a file whose transaction was rolled
back stays on disk, unreferenced and harmless. Several machines serving the same documents must share
the folder (`DOCUMENTS_DIR`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app


class DocumentError(RuntimeError):
    """A stored document is missing or no longer matches the hash recorded when it was issued."""


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the documents folder
    sha256: str
    size_bytes: int


def documents_dir() -> Path:
    """Return the folder that holds issued documents."""
    return Path(current_app.config["DOCUMENTS_DIR"]).resolve()


def store_document(data: bytes, folder: str, stem: str, suffix: str = ".pdf") -> StoredFile:
    """Write `data` as `<folder>/<stem>-<hash><suffix>` unless that very file exists; never replace a file."""
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(folder) / f"{stem}-{digest[:16]}{suffix}"
    target = _inside(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        _write_new(target, data)
    if hashlib.sha256(target.read_bytes()).hexdigest() != digest:
        raise DocumentError(f"{relative} already exists with other content")
    return StoredFile(str(relative), digest, len(data))


def read_document(relative: str, sha256: str) -> bytes:
    """Return a stored document's bytes after checking them against the hash recorded at issue."""
    path = _inside(Path(relative))
    if not relative or not path.is_file():
        raise DocumentError(f"document {relative!r} is missing")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DocumentError(f"document {relative!r} does not match its recorded SHA-256")
    return data


def _inside(relative: Path) -> Path:
    root = documents_dir()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise DocumentError(f"{relative} is outside the documents folder")
    return path


def _write_new(target: Path, data: bytes) -> None:
    """Write to a temporary file, then link it into place: readers never see half a file, and
    `os.link` fails rather than replace a file written meanwhile."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o444)
        with contextlib.suppress(FileExistsError):  # written meanwhile; the caller compares its content
            os.link(tmp, target)
    finally:
        os.unlink(tmp)


def pdf_response(data: bytes, name: str, sha256: str | None) -> Response:
    """Answer a stored PDF inline, never cached, with its recorded fingerprint."""
    return file_response(data, f"{name}.pdf", "application/pdf", sha256)


def file_response(data: bytes, filename: str, media_type: str, sha256: str | None, *, inline: bool = True) -> Response:
    """Answer a stored file, never cached, with its recorded fingerprint; `filename` must be ASCII-safe."""
    response = Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    if sha256:
        # RFC 9530: lets a client check that the bytes received are the ones recorded at issue.
        response.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode()}:"
    return response
