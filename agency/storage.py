"""Stored documents, one seam for every package: a local folder, or S3-compatible object storage.

Every document the platform keeps (letters, receipts, plan agreements, statements, reports, judicial files,
uploads) is written once under a key `<folder>/<stem>-<first 16 hex of its SHA-256><suffix>` and read back
against the SHA-256 recorded with the row that refers to it. The key carries the hash, so a retried issue that
rendered other bytes writes another object instead of replacing one a debtor may already hold; an object whose
transaction was rolled back stays, unreferenced and harmless. A write that fails raises before the caller
records the key, so nothing ever refers to an object that is not there.

Embedded mode keeps the documents under `DOCUMENTS_DIR`. With `DOCUMENTS_S3_BUCKET` set they go to that bucket
(AWS S3 or any S3-compatible server at `DOCUMENTS_S3_ENDPOINT_URL`), so several web and worker machines share
them without a shared disk; the credentials come the usual boto3 way (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, a profile, an instance role), never from the platform's own settings. This is the only
module that imports boto3.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from flask import Response, current_app


class DocumentError(RuntimeError):
    """A stored document is missing, no longer matches its recorded hash, or the storage does not answer."""


class DocumentMissing(DocumentError):
    """No object under that key."""


class StorageUnavailable(DocumentError):
    """The storage did not answer (after its retries) or refused the request."""


@dataclass(frozen=True)
class StoredFile:
    path: str  # the key: relative to the documents folder, or to the bucket's prefix
    sha256: str
    size_bytes: int


class Store(Protocol):
    def put(self, key: str, data: bytes, sha256: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def sha256_of(self, key: str) -> str | None: ...
    def check(self) -> bool: ...
    def delete(self, key: str) -> None: ...


def document_key(folder: str, stem: str, sha256: str, suffix: str = ".pdf") -> str:
    """Return the key a document of these bytes is stored under."""
    return _checked_key(f"{folder}/{stem}-{sha256[:16]}{suffix}")


def store_document(data: bytes, folder: str, stem: str, suffix: str = ".pdf") -> StoredFile:
    """Store `data` as `<folder>/<stem>-<hash><suffix>` unless that very object exists; never replace one."""
    digest = hashlib.sha256(data).hexdigest()
    key = document_key(folder, stem, digest, suffix)
    get_store().put(key, data, digest)
    return StoredFile(key, digest, len(data))


def read_document(key: str, sha256: str) -> bytes:
    """Return a stored document's bytes after checking them against the hash recorded at issue."""
    if not key:
        raise DocumentMissing("document '' is missing")
    data = get_store().get(_checked_key(key))
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DocumentError(f"document {key!r} does not match its recorded SHA-256")
    return data


def delete_document(key: str) -> None:
    """Remove a stored document for good (personal data past its retention); a missing one is already gone.

    The only way an object leaves the storage: documents are otherwise written once and kept, so the caller
    first makes sure no other row still names the key (the key carries the content's hash, so two rows may).
    """
    if key:
        get_store().delete(_checked_key(key))


def check() -> bool:
    """Whether the configured storage answers now (one cheap round trip, for /healthz); a failure may raise."""
    return get_store().check()


def documents_dir() -> Path:
    """Return the local documents folder (where embedded mode stores, and what `documents-copy` reads)."""
    return Path(current_app.config["DOCUMENTS_DIR"]).resolve()


def get_store() -> Store:
    """Return the app's store for its current settings (a boto3 client is costly to build: kept per settings)."""
    config = current_app.config
    settings = (config["DOCUMENTS_DIR"], config.get("DOCUMENTS_S3_BUCKET", ""),
                config.get("DOCUMENTS_S3_ENDPOINT_URL", ""), config.get("DOCUMENTS_S3_REGION", ""),
                config.get("DOCUMENTS_S3_PREFIX", ""), config.get("DOCUMENTS_S3_ADDRESSING_STYLE", "auto"),
                config.get("DOCUMENTS_S3_CONNECT_TIMEOUT", 5.0), config.get("DOCUMENTS_S3_READ_TIMEOUT", 30.0),
                config.get("DOCUMENTS_S3_MAX_ATTEMPTS", 3))
    cached = current_app.extensions.get("amiable.storage")
    if cached is None or cached[0] != settings:
        store: Store = S3Store.from_settings(*settings[1:]) if settings[1] else LocalStore(documents_dir())
        cached = current_app.extensions["amiable.storage"] = (settings, store)
    return cached[1]


def _checked_key(key: str) -> str:
    """Refuse a key that could leave the documents folder or the bucket's prefix."""
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or "\\" in key or any(p in ("..", ".") for p in parts):
        raise DocumentError(f"{key!r} is not a document key")
    return key


class LocalStore:
    """Documents as read-only files under one folder (embedded mode, or a folder shared by every machine)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes, sha256: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            self._write_new(target, data)
        if hashlib.sha256(target.read_bytes()).hexdigest() != sha256:
            raise DocumentError(f"{key} already exists with other content")

    def get(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise DocumentMissing(f"document {key!r} is missing")
        return path.read_bytes()

    def sha256_of(self, key: str) -> str | None:
        path = self._path(key)
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None

    def check(self) -> bool:
        # The folder, or the one it will be made in on the first write, must be writable. Machines sharing it
        # through a mount see an unmounted share here.
        folder = self.root
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        """Yield the key of every stored file, in a stable order (what a copy resumes along)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                yield path.relative_to(self.root).as_posix()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise DocumentError(f"{key} is outside the documents folder")
        return path

    @staticmethod
    def _write_new(target: Path, data: bytes) -> None:
        """Write to a temporary file, then link it into place: readers never see half a file, and
        `os.link` fails rather than replace a file written meanwhile."""
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
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


class S3Store:
    """Documents as objects of one bucket, under a key prefix; the SHA-256 kept in the object's metadata."""

    def __init__(self, client, bucket: str, prefix: str) -> None:
        self.client, self.bucket = client, bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    @classmethod
    def from_settings(cls, bucket: str, endpoint_url: str, region: str, prefix: str, addressing_style: str,
                      connect_timeout: float, read_timeout: float, max_attempts: int) -> S3Store:
        import boto3
        from botocore.config import Config

        config = Config(
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            # Standard mode retries timeouts, throttling and 5xx with exponential backoff and jitter.
            retries={"max_attempts": max_attempts, "mode": "standard"},
            s3={"addressing_style": addressing_style},
            # botocore's default CRC checksums (2025) are refused by several S3-compatible servers; each put sends
            # Content-MD5 instead, which all of them check, and every read is checked against the SHA-256 anyway.
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
        )
        client = boto3.session.Session().client("s3", endpoint_url=endpoint_url or None,
                                                region_name=region or None, config=config)
        return cls(client, bucket, prefix)

    def put(self, key: str, data: bytes, sha256: str) -> None:
        try:
            # Rare (a retry, or the same bytes issued twice): the bytes are hashed, not the metadata trusted.
            existing = self.get(key)
        except DocumentMissing:
            existing = None
        if existing is not None:
            if hashlib.sha256(existing).hexdigest() != sha256:
                raise DocumentError(f"{key} already exists with other content")
            return  # stored by an earlier attempt: a retry writes nothing
        # No conditional write (If-None-Match is not served by every S3-compatible server): the key carries the
        # content's hash, so a writer racing this one for the same key writes the same bytes.
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        self._call("store", key, self.client.put_object, Bucket=self.bucket, Key=self.prefix + key, Body=data,
                   ContentMD5=md5, ContentType=media_type, Metadata={"sha256": sha256})

    def get(self, key: str) -> bytes:
        answer = self._call("read", key, self.client.get_object, Bucket=self.bucket, Key=self.prefix + key)
        try:
            return answer["Body"].read()
        except Exception as exc:  # the connection dropped while the body was read
            raise StorageUnavailable(f"could not read document {key!r}: {exc}") from exc

    def sha256_of(self, key: str) -> str | None:
        try:
            head = self._call("look up", key, self.client.head_object, Bucket=self.bucket, Key=self.prefix + key)
        except DocumentMissing:
            return None
        if recorded := head.get("Metadata", {}).get("sha256"):
            return recorded
        return hashlib.sha256(self.get(key)).hexdigest()  # put there by other means: hash its bytes

    def check(self) -> bool:
        self._call("check", "", self.client.head_bucket, Bucket=self.bucket)
        return True

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key as a success: a retried erasure does no harm.
        self._call("delete", key, self.client.delete_object, Bucket=self.bucket, Key=self.prefix + key)

    def _call(self, doing: str, key: str, method, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise DocumentMissing(f"document {key!r} is missing") from exc
            raise StorageUnavailable(f"the object storage refused to {doing} {key!r}: {error.get('Code')}") from exc
        except BotoCoreError as exc:  # no connection, timeout, no credentials…
            raise StorageUnavailable(f"the object storage did not answer ({doing} {key!r}): {exc}") from exc


@dataclass
class CopyReport:
    copied: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # already in the target with the same hash
    refused: list[tuple[str, str]] = field(default_factory=list)  # (key, why)


NAMED_HASH = re.compile(r"-([0-9a-f]{16})\.[^/]*$")


def copy_documents(source: LocalStore, target: Store, on_copied: Callable[[str], None] | None = None) -> CopyReport:
    """Copy every document of a local folder into `target` under the same key, each read back and checked.

    Idempotent and resumable: an object already there with the same SHA-256 is skipped, so a run stopped halfway
    (the storage went away: StorageUnavailable is raised) goes on where it stopped. A file whose bytes no longer
    match the hash in its name, or a key the target holds with other content, is refused and left as it is.
    """
    report = CopyReport()
    for key in source.keys():
        data = source.get(key)
        digest = hashlib.sha256(data).hexdigest()
        named = NAMED_HASH.search(key)
        if named and not digest.startswith(named.group(1)):
            report.refused.append((key, "its bytes do not match the hash in its name"))
            continue
        existing = target.sha256_of(key)
        if existing == digest:
            report.present.append(key)
            continue
        if existing is not None:
            report.refused.append((key, "the storage holds other content under this key"))
            continue
        target.put(key, data, digest)
        if hashlib.sha256(target.get(key)).hexdigest() != digest:
            report.refused.append((key, "the copy read back differs"))
            continue
        report.copied.append(key)
        if on_copied:
            on_copied(key)
    return report


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
