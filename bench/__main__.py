"""Run every benchmark, as `make bench` does: python -m bench.

Each prints its table; bench.placement ends with its one-line summary and fails (exit 1) when the
imported rows do not match the file.
"""

from __future__ import annotations

import sys

from bench import placement, placement_parse


def main() -> int:
    print("== bench.placement_parse: reading and checking rows in memory ==", flush=True)
    placement_parse.main(100_000)
    print(flush=True)
    print("== bench.placement: full import on the database against a bare COPY ==", flush=True)
    return placement.main(["--rows", "100000"])


if __name__ == "__main__":
    sys.exit(main())
