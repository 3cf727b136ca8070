"""Issued documents: the names the case, money and report packages import, kept over the shared seam.

The storage itself (a local folder or S3-compatible object storage) is `agency.storage`; this module only keeps
the names its many callers already use.
"""

from __future__ import annotations

from agency.storage import (
    DocumentError,
    DocumentMissing,
    StorageUnavailable,
    StoredFile,
    documents_dir,
    file_response,
    pdf_response,
    read_document,
    store_document,
)

__all__ = ["DocumentError", "DocumentMissing", "StorageUnavailable", "StoredFile", "documents_dir",
           "file_response", "pdf_response", "read_document", "store_document"]
