"""Reading PDFs back as a reader would: the text with pdftotext, the page count, where words sit."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

MM = 72 / 25.4  # PDF points per millimetre


def pdf_text(data: bytes, *, first: int | None = None, last: int | None = None, layout: bool = True) -> str:
    """Return the PDF's text, line by line as laid out on the page, every run of white space made one space.

    Without `layout`, in reading order, which also keeps rotated text (a draft's watermark).
    """
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    text = subprocess.run(["pdftotext", *(["-layout"] if layout else []), *pages, "-", "-"], input=data, capture_output=True, check=True).stdout
    return flat(text.decode("utf-8"))


def flat(text: str) -> str:
    """Make every run of white space (no-break and narrow no-break spaces included) one space."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def page_count(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def word_box(data: bytes, word: str, page: int = 1) -> tuple[float, float]:
    """Return where `word` starts on `page`, in millimetres from the sheet's left and top edges."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"], input=data,
                          capture_output=True, check=True).stdout.decode()
    match = re.search(rf'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>{re.escape(word)}</word>', html)
    assert match, f"{word!r} is not on page {page}"
    return float(match.group(1)) / MM, float(match.group(2)) / MM


def render_png(data: bytes, out_dir: Path, stem: str) -> list[Path]:
    """Render each page at 60 dpi (pdftoppm), as people look at letters before sending them."""
    source = out_dir / f"{stem}.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(source), str(out_dir / stem)], check=True)
    return sorted(out_dir.glob(f"{stem}-*.png"))
