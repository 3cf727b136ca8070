"""Documents uploaded to a proceeding's file: the contract, the purchase order, a proof, anything the court needs.

A file is accepted for what its bytes are, never for its name: PDF, PNG, JPEG, and office documents
(Word, Excel, PowerPoint, OpenDocument), recognised by their signature and, for office files, by the
members or streams only those formats hold — so a renamed program, archive or installer is refused.
Its size is checked while it is read (`JUDICIAL_DOCUMENT_MAX_BYTES`). It is stored once under the
documents folder with its SHA-256, like letters, and listed on the pack's bordereau.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.utils import secure_filename

from agency import audit
from agency.db import db, utcnow
from agency.models import User
from cases.judicial.proceedings import JudicialError
from cases.letters.storage import store_document
from cases.models import Proceeding, Stage
from cases.models.judicial import JudicialDocument

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
KINDS = {
    "contract": _l("Contract or general terms of sale"),
    "order": _l("Purchase order or signed quote"),
    "proof": _l("Proof of delivery or performance"),
    "other": _l("Other document"),
}
# Kinds the request names as the basis of the claim, before the invoices on the bordereau.
BASIS_KINDS = ("contract", "order")


@dataclass(frozen=True)
class FileType:
    media_type: str
    suffix: str
    label: str


PDF = FileType("application/pdf", ".pdf", "PDF")
PNG = FileType("image/png", ".png", "PNG")
JPEG = FileType("image/jpeg", ".jpg", "JPEG")
# OOXML: the first folder of the package says which application wrote it.
OOXML = {
    "word/": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word"),
    "xl/": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel"),
    "ppt/": FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx",
                     "PowerPoint"),
}
ODF = {
    "application/vnd.oasis.opendocument.text": FileType("application/vnd.oasis.opendocument.text", ".odt", "ODT"),
    "application/vnd.oasis.opendocument.spreadsheet": FileType("application/vnd.oasis.opendocument.spreadsheet",
                                                               ".ods", "ODS"),
    "application/vnd.oasis.opendocument.presentation": FileType("application/vnd.oasis.opendocument.presentation",
                                                                ".odp", "ODP"),
}
# Office 97–2003 files are OLE compound files, as are installers (.msi): the main stream's name tells them apart.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_STREAMS = {
    "WordDocument": FileType("application/msword", ".doc", "Word 97–2003"),
    "Workbook": FileType("application/vnd.ms-excel", ".xls", "Excel 97–2003"),
    "PowerPoint Document": FileType("application/vnd.ms-powerpoint", ".ppt", "PowerPoint 97–2003"),
}
ACCEPTED = _l("PDF, PNG, JPEG, Word, Excel, PowerPoint or OpenDocument")


def max_bytes() -> int:
    return int(current_app.config.get("JUDICIAL_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def megabytes(size: int) -> str:
    return f"{size / 1_048_576:g}"


def file_type(data: bytes) -> FileType | None:
    """What `data` is, judged by its content alone, or None when it is not an accepted kind."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(OLE_SIGNATURE):
        return next((kind for name, kind in OLE_STREAMS.items() if name.encode("utf-16-le") in data), None)
    if data.startswith(b"PK\x03\x04"):
        return _package_type(data)
    return None


def _package_type(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            if "mimetype" in names:  # ODF: its first member names the format, stored uncompressed and small
                info = package.getinfo("mimetype")
                return ODF.get(package.read(info).decode("ascii", "replace").strip()) if info.file_size < 100 else None
            if "[Content_Types].xml" in names:
                return next((kind for folder, kind in OOXML.items() if any(n.startswith(folder) for n in names)), None)
    except (zipfile.BadZipFile, KeyError, ValueError):
        return None
    return None


def read_bounded(stream: IO[bytes], limit: int) -> bytes | None:
    """Read at most `limit` bytes of `stream`; None when it holds more."""
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


def add_document(proceeding: Proceeding, stream: IO[bytes], filename: str, *, kind: str, title: str,
                 actor: User) -> JudicialDocument:
    """Store an uploaded file in the proceeding's file, after checking what it is and its size."""
    if Stage(proceeding.stage) in (Stage.REFUSED, Stage.WITHDRAWN):
        raise JudicialError(_l("This proceeding was refused or withdrawn: no document can be added."))
    if kind not in KINDS:
        raise JudicialError(_l("Choose the kind of document."), "kind")
    limit = max_bytes()
    data = read_bounded(stream, limit)
    if data is None:
        raise JudicialError(_l("The file is larger than %(size)s MB.", size=megabytes(limit)), "file")
    if not data:
        raise JudicialError(_l("The file is empty."), "file")
    detected = file_type(data)
    if detected is None:
        raise JudicialError(_l("This file is not a document the file accepts (%(kinds)s), whatever its name says.",
                               kinds=ACCEPTED), "file")
    name = filename.strip()[-200:] or f"document{detected.suffix}"
    stored = store_document(data, f"judicial/{proceeding.reference}", "doc", detected.suffix)
    document = JudicialDocument(
        proceeding=proceeding, client_id=proceeding.client_id, kind=kind, title=(title.strip() or name)[:200],
        filename=name, media_type=detected.media_type, file_path=stored.path, sha256=stored.sha256,
        size_bytes=stored.size_bytes, created_at=utcnow(), created_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record("judicial.document_added", actor=actor, subject=document, client_id=proceeding.client_id,
                 after={"proceeding": proceeding.reference, "kind": kind, "title": document.title,
                        "filename": name, "media_type": detected.media_type, "sha256": stored.sha256,
                        "size": stored.size_bytes})
    return document


def download_name(document: JudicialDocument) -> str:
    """An ASCII file name for the download, ending as the file's real type."""
    suffix = next((t.suffix for t in (PDF, PNG, JPEG, *OOXML.values(), *ODF.values(), *OLE_STREAMS.values())
                   if t.media_type == document.media_type), "")
    stem = secure_filename(document.filename.rsplit(".", 1)[0]) or f"document-{document.id}"
    return f"{stem}{suffix}"
