"""Memory of reading and checking placement files at and beyond the limits of cases.placement.limits.

    python -m bench.placement_limits [--keep DIR]

Each file is generated first (fixed seed, not measured), then read in a fresh child process, as a
worker reads an upload: `read_table`, then for files that are read, `check_rows` with the guessed
mapping and the compressed kept rows (`checked.dump`), which is what a check holds at once before it
touches the database. Printed per file: its size, what happened, seconds, and the child's peak
resident memory (VmHWM). The files:

- the bombs: a 2 MB XLSX of 4.2 million rows, two cells far apart in a 2 KB XLSX, an ODS row repeated
  a million times, a CSV of 100,000 columns, a 40 MB CSV of 10 million short rows;
- the largest accepted: 100,000 invoices of 14 columns as CSV and as XLSX (shared strings), the same
  with a 15th column of 200-character descriptions (1.5 million cells, 38 MB), and 7,500 rows of 200
  distinct 12-character cells (1.5 million cells, none shared; no column is recognised, so read only).

The last line reads `placement_limits files=… refused=… worst_peak_mb=… budget_mb=400`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MB = 400


def _peak_mb() -> float:
    """This process's own peak resident memory (ru_maxrss would count the parent it was forked from)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def child(path: str) -> dict:
    from cases.placement import checked
    from cases.placement.fields import guess_mapping, missing_required
    from cases.placement.plan import check_rows
    from cases.placement.reader import ReadError, read_table

    data = Path(path).read_bytes()
    started = time.perf_counter()
    try:
        table = read_table(data, os.path.basename(path))
    except ReadError as exc:
        return {"outcome": f"refused: {exc}", "seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}
    rows = len(table.rows)
    mapping = guess_mapping(table.headers)
    outcome = f"read {rows} rows"
    if not missing_required(mapping):
        kept = check_rows(table, mapping)
        stored = checked.dump(kept)
        outcome += f", checked: {len(kept.accepted)} accepted, kept {len(stored) / 2**20:.1f} MB"
    return {"outcome": outcome, "seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}


def generate(directory: str) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from bench.placement_data import make_file
    from cases.placement.limits import MAX_CELLS, MAX_COLUMNS, MAX_ROWS
    from tests.cases.placement import spreadsheets as sheets

    def write(name: str, data: bytes) -> str:
        path = os.path.join(directory, name)
        Path(path).write_bytes(data)
        return path

    paths = [
        write("bomb-4.2M-rows.xlsx", sheets.million_rows_xlsx()),
        write("two-far-cells.xlsx", sheets.xlsx([sheets.HEADER_ROW,
                                                 b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'])),
        write("row-repeated.ods", sheets.ods(
            b'<table:table table:name="F"><table:table-row><table:table-cell office:value-type="string">'
            b"<text:p>Facture</text:p></table:table-cell></table:table-row>"
            b'<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
            b'table:number-columns-repeated="100" office:value-type="float" office:value="1"/>'
            b"</table:table-row></table:table>")),
        write("100k-columns.csv", (";".join(f"Colonne {n}" for n in range(100_000)) + "\n").encode() * 2),
        write("10M-rows.csv", b"Facture;Montant\n" + b"F;1\n" * 10_000_000),
    ]
    limit = make_file(MAX_ROWS, directory)
    paths.append(limit.path)
    paths.append(write("placement-factures.xlsx", _as_xlsx(limit.path, sheets)))
    paths.append(write("with-descriptions.csv", _with_descriptions(limit.path)))
    wide = [[f"v{row:05d}c{col:03d}" for col in range(MAX_COLUMNS)] for row in range(MAX_CELLS // MAX_COLUMNS)]
    paths.append(write("distinct-cells.csv", "\n".join(";".join(r) for r in wide).encode()))
    return paths


def _with_descriptions(path: str) -> bytes:
    """The CSV with a 15th column, "Libellé", of distinct 200-character texts: the most text it may hold."""
    with open(path, encoding="utf-8", newline="") as source:
        lines = source.read().splitlines()
    words = "Facture de prestations de maintenance et de fournitures diverses livrées au client "
    texts = (f"{n:06d} " + (words * 3)[: 200 - 7] for n in range(len(lines)))
    return "\n".join(f"{line};{'Libellé' if n == 0 else next(texts)}" for n, line in enumerate(lines)).encode()


def _as_xlsx(path: str, sheets) -> bytes:
    """The CSV as an XLSX whose text cells are shared strings, as Excel saves it."""
    with open(path, encoding="utf-8", newline="") as source:
        records = list(csv.reader(source, delimiter=";"))
    strings: dict[str, int] = {}
    rows = []
    for number, record in enumerate(records, 1):
        cells = b"".join(b'<c r="%s%d" t="s"><v>%d</v></c>' % (sheets.column(i).encode(), number,
                                                              strings.setdefault(text, len(strings)))
                         for i, text in enumerate(record, 1) if text)
        rows.append(b'<row r="%d">%s</row>' % (number, cells))
    escaped = (text.replace("&", "&amp;").replace("<", "&lt;").encode() for text in strings)
    return sheets.xlsx(rows, escaped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--keep", help="write the generated files in this folder and leave them there")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or scratch
        paths = generate(directory)
        results = []
        for path in paths:
            done = subprocess.run([sys.executable, "-m", "bench.placement_limits", "--child", path],
                                  cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{os.path.basename(path)}: child failed\n{done.stderr[-2000:]}")
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"{os.path.basename(path):28} {os.path.getsize(path) / 2**20:7.2f} MB  "
                  f"{result['seconds']:6.2f} s  peak {result['peak_mb']:6.0f} MB  {result['outcome']}")
    refused = sum(r["outcome"].startswith("refused") for r in results)
    worst = max(r["peak_mb"] for r in results)
    print(f"placement_limits files={len(results)} refused={refused} worst_peak_mb={worst:.0f} budget_mb={BUDGET_MB}")
    return 0 if worst < BUDGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
