"""Run every benchmark, as `make bench` does: python -m bench.

Each prints its table; bench.placement ends with its one-line summary and fails (exit 1) when the
imported rows do not match the file; bench.queue ends with its own and fails when a case was handed
out twice; bench.money ends with its own and fails when a target is missed; bench.faults ends with
its own and fails on an SMS sent twice or lost; bench.closing ends with its own and fails when a closed
case is left owing or without its closing and audit event; bench.desk ends with its own and fails when a
search or a page of the case list misses 150 ms at p95 or misses the case it names, a bulk batch over 50,000
cases takes 60 s or leaves a case without its item and audit event, or a page under the load of 60 people
misses 300 ms at p95 or a request of theirs fails; bench.debtor_space
ends with its own and fails when the debtor's case page misses 100 ms at p95, the webhook deliveries take
30 s or more, or an event has no payment or two.
"""

from __future__ import annotations

import sys

from bench import (
    closing,
    debtor_space,
    desk,
    faults,
    judicial,
    money,
    placement,
    placement_parse,
    queue,
    reports,
)


def main() -> int:
    print("== bench.placement_parse: reading and checking rows in memory ==", flush=True)
    placement_parse.main(100_000)
    print(flush=True)
    print("== bench.placement: full import on the database against a bare COPY ==", flush=True)
    placed = placement.main(["--rows", "100000"])
    print(flush=True)
    print("== bench.queue: Next with 8 collectors, and the daily job, over 1,000,000 cases ==", flush=True)
    queued = queue.main([])
    print(flush=True)
    print("== bench.money: interest over 1,000,000 cases, remittances over 1,000,000 payments ==", flush=True)
    moneyed = money.main([])
    print(flush=True)
    print("== bench.reports: the managers' dashboard over 1,000,000 cases ==", flush=True)
    reported = reports.main([])
    print(flush=True)
    print("== bench.judicial: the daily judicial run and the managers' list, 50,000 proceedings in 1,000,000 cases ==",
          flush=True)
    judged = judicial.main([])
    print(flush=True)
    print("== bench.closing: a bulk closing of 100,000 cases and the daily limitation job over 1,000,000 ==",
          flush=True)
    closed = closing.main([])
    print(flush=True)
    print("== bench.desk: the case search by every kind of key, the case list, bulk work and 60 people at work over "
          "1,000,000 cases ==",
          flush=True)
    desked = desk.main([])
    print(flush=True)
    print("== bench.faults: payments through the outbox, SMS through a failing Twilio and killed workers ==",
          flush=True)
    faulted = faults.main([])
    print(flush=True)
    print("== bench.debtor_space: the debtor's case page over 1,000,000 cases, 1,000 card payment webhooks ==",
          flush=True)
    spaced = debtor_space.main([])
    return placed or queued or moneyed or reported or judged or closed or desked or faulted or spaced


if __name__ == "__main__":
    sys.exit(main())
