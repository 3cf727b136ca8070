"""HTML to PDF with WeasyPrint: the only module that imports it.

Documents may only load files shipped with the application. The URL fetcher serves `amiable:<name>`
from the assets folder the caller names and refuses every other URL (`file:`, `http(s):`, `data:`…),
so a document can neither read the server's files nor call out to the network. A refused or missing
resource stops the rendering instead of producing a document without its stylesheet. Fonts come
from the system through fontconfig (Debian's fonts-dejavu-core), never through a URL.
"""

from __future__ import annotations

import contextlib
import gc
import mimetypes
from collections.abc import Iterator
from pathlib import Path

from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

SCHEME = "amiable:"


class AssetRefused(ValueError):
    """A document asked for a resource outside the application's own assets."""


class AssetFetcher(URLFetcher):
    """Serve `amiable:<relative path>` from one folder; refuse everything else."""

    def __init__(self, assets_dir: Path) -> None:
        super().__init__(fail_on_errors=True)
        self.assets_dir = Path(assets_dir).resolve()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Return the asset named by `url`, or raise AssetRefused."""
        if not url.startswith(SCHEME):
            raise AssetRefused(f"only the application's own assets may be loaded, not {url[:80]!r}")
        path = (self.assets_dir / url.removeprefix(SCHEME).lstrip("/")).resolve()
        if not path.is_relative_to(self.assets_dir) or not path.is_file():
            raise AssetRefused(f"no such asset: {url[:80]!r}")
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})


@contextlib.contextmanager
def _rendering() -> Iterator[None]:
    """Pause the cyclic garbage collector while WeasyPrint lays out, and turn a refused asset into AssetRefused."""
    # A rendering allocates hundreds of thousands of short-lived boxes, and the cyclic garbage collector
    # would walk them, and everything else the process holds, again and again: a third of the time of a
    # ten-page report in a worker holding a batch's figures. It is paused for the rendering and runs after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    except FatalURLFetchingError as exc:  # a BaseException: turn it into an ordinary error for callers
        raise AssetRefused(str(exc.__cause__ or exc)) from exc
    finally:
        if collecting:
            gc.enable()


def render_pdf(html: str, *, assets_dir: Path) -> bytes:
    """Render an HTML document to PDF bytes; its `amiable:` URLs are read from `assets_dir`."""
    with _rendering():
        return HTML(string=html, url_fetcher=AssetFetcher(assets_dir)).write_pdf()


def render_pdf_set(htmls: list[str], *, assets_dir: Path) -> tuple[bytes, list[bytes]]:
    """Render several HTML documents to PDF, each on its own and all of them as one file, laid out once.

    Each document keeps its own page numbers (a court's file is numbered part by part).
    """
    with _rendering():
        fetcher = AssetFetcher(assets_dir)
        documents = [HTML(string=html, url_fetcher=fetcher).render() for html in htmls]
        parts = [document.write_pdf() for document in documents]
        whole = documents[0].copy([page for document in documents for page in document.pages]).write_pdf()
        return whole, parts
