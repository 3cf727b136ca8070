"""The benchmark's printed table: each step against the bare COPY, memory, checks, the last line."""

from __future__ import annotations

from bench.placement_data import GeneratedFile

TARGET_ROWS_PER_S = 10_000  # 100,000 rows in 10 s
TARGET_MB = 400

# (module, function, label) of the steps timed inside the import.
INNER_STEPS = [
    ("placements", "read_table", "read_table (CSV to cells)"),
    ("placements", "check_rows", "check_rows"),
    ("plan", "parse_table", "  parse_table (check every row)"),
    ("placements", "_keep_checked_rows", "_keep_checked_rows (store them)"),
    ("placements", "_checked_rows", "_checked_rows (load them)"),
    ("placements", "database_state", "database_state (counts, SELECT)"),
    ("placements", "restore", "restore (the check's plan)"),
    ("placements", "settle", "settle"),
    ("plan", "_drop_already_placed", "  _drop_already_placed (SELECT)"),
    ("plan", "group_records", "  group_records (union-find)"),
    ("plan", "match_known_debtors", "  match_known_debtors (SELECT)"),
    ("plan", "merge_same_debtor", "  merge_same_debtor"),
    ("plan", "_open_cases", "  _open_cases (SELECT)"),
    ("placements", "_store_plan", "_store_plan (counts + report)"),
    ("placements", "write_plan", "write_plan"),
    ("writer", "allocate_ids", "  all allocate_ids"),
    ("writer", "_known_contacts", "  _known_contacts (SELECT)"),
    ("writer", "_new_customer_numbers", "  _new_customer_numbers (SELECT)"),
    ("writer", "allocate_references", "  allocate_references"),
]
INNER_LABELS = [label for _module, _name, label in INNER_STEPS]


def _ratio(seconds: float, baseline: float) -> str:
    return f"{seconds / baseline:.1f}×" if baseline > 0 else "-"


def report(
    file: GeneratedFile, backend: str, baseline: float, timed: dict, traced: dict | None, checks: list
) -> bool:
    rows = file.rows
    print(
        f"placement file: {rows:,} rows, {file.debtors:,} debtors ({file.companies:,} companies), "
        f"{file.size / 1e6:.1f} MB, {backend}"
    )
    line = f"{'step':<44}{'seconds':>9}{'rows/s':>11}{'× bare':>9}"
    print(line)
    print("-" * len(line))
    base = "bare COPY (best of 3)" if backend == "postgresql" else "bare executemany (best of 3)"
    print(f"{base:<44}{baseline:>9.3f}{rows / baseline:>11,.0f}{_ratio(baseline, baseline):>9}")
    for step, seconds in timed["phases"].items():
        speed = f"{rows / seconds:,.0f}" if seconds >= 0.01 else "-"
        print(f"{step:<44}{seconds:>9.3f}{speed:>11}{_ratio(seconds, baseline):>9}")
        inner = timed["inner"].get(step, {})
        for label in sorted(inner, key=INNER_LABELS.index):
            print(f"  {label:<42}{inner[label]:>9.3f}{'':>11}{_ratio(inner[label], baseline):>9}")
    total = timed["import_s"]
    print(f"{'full import':<44}{total:>9.3f}{rows / total:>11,.0f}{_ratio(total, baseline):>9}")
    print()
    peak, start, jobs = timed["max_rss_mb"], timed["rss_start_mb"], timed["job_peaks_mb"]
    print(
        f"memory: peak RSS {peak:.0f} MB (check job {jobs['check']:.0f} MB, import job {jobs['import']:.0f} MB, "
        f"each in its own process; app loaded: {start:.0f} MB)"
    )
    if traced:
        print(
            f"        tracemalloc peak {traced['traced_peak_mb']:.0f} MB of Python allocations "
            f"(separate run, rolled back; {traced['import_s']:.1f} s under tracemalloc)"
        )
    ok = True
    print()
    for what, found, expected in checks:
        good = found == expected
        ok &= good
        print(f"check {what:<24}{found:>16,} {'OK' if good else f'MISMATCH (expected {expected:,})'}")
    meets = rows / total >= TARGET_ROWS_PER_S and peak <= TARGET_MB
    print(
        f"target (at least {TARGET_ROWS_PER_S:,} rows/s, at most {TARGET_MB} MB peak): "
        f"{'met' if meets else 'MISSED'} ({rows / total:,.0f} rows/s, {peak:.0f} MB)"
    )
    print(
        f"placement rows={rows} import_s={total:.2f} copy_s={baseline:.2f} ratio={total / baseline:.1f} "
        f"peak_mb={peak:.0f}"
    )
    return ok
