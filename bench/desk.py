"""Time the collector's desk on PostgreSQL: the case search by every kind of key and the case list, over 1,000,000 cases.

    python -m bench.desk [--cases N] [--loads 20] [--database-url URL] [--keep]

The database (BENCH_DESK_DATABASE_URL, else amiable_bench_desk on the local PostgreSQL) is dropped and recreated,
migrated, and filled by `bench.desk_data`: `bench.queue_data`'s cases, claims, ledger, actions and promises over 50
clients, set-based.
Its debtors are then given names people have, so that a name search finds what it would in an agency: one in
five is a company ("Martin Plomberie SARL", with its SIREN), the others a first name and a last name, half of
those among 101 common French surnames (each about 0.4 % of the debtors, as Martin is in France, accents
included: Lefèvre, Gérard…) and half a name of three syllables (about 27,000 rarer names). Their folded
`search_name` is written with the arrays folded by `debtors.folding` and checked on a sample. Each debtor gets
an e-mail address and a postal address (2,000 postcodes) beside the mobile number `queue_data` gave it.

Timed through the test client as a signed-in collector (the real view: login, menu, search, page, balances),
`loads` times each, every load another term: searches by name (a common surname, a first and last name in
either order, without accents, a rare name), phone (typed "06 12 34 56 78", "+33…" and "0033 6 …" in turn),
SIREN (with spaces), invoice number, case reference, e-mail and postcode; then the case list's first page
unfiltered, by status (a common and a rare one), by client, and a page far down the unfiltered list. Each
exact key's page is checked to list the case it names. Baselines: for each, the bare SQL (the first 51 rows
of the cases, their debtor and client, through the same indexes, hand-written); the table gives p50, p95, max
and p95 over the baseline's p95.

Then bulk work (`bench.desk_bulk`): a reassign batch and a hold batch over `--bulk` cases, as a worker runs them.

Last, the load test (`bench.desk_load`, `--load-seconds`, 300 by default): the platform served by gunicorn with an
RQ worker on this database and Redis, 50 collectors and 10 client users played by locust, each waiting 5-15 s
between actions; its table gives each page's p50 and p95.

The last line reads `desk cases=… search_p95_ms=… list_p95_ms=… bulk_s=… load_users=60 load_p95_ms=…
load_errors=…` (search and list: the worst p95 of their kinds, the target under 150 ms; bulk_s the slower of the two
batches, under 60 s; load_p95_ms the worst page's p95 under load, under 300 ms, with no error). Exit 1 when a target
is missed, a page misses the case it names, a batch leaves a case undone or a request of the load fails.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa

from bench.desk_bulk import BULK_TARGET_S, time_bulk
from bench.desk_data import COMMON_SURNAMES, FIRST_NAMES, SYLLABLES, set_up
from bench.desk_load import TARGET_MS as LOAD_TARGET_MS
from bench.desk_load import print_table, run_load
from bench.placement import recreate_database
from bench.reports import p95

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/amiable_bench_desk"
TARGET_MS = 150
BENCH_PASSWORD = "bench-desk-collector"  # noqa: S105  (a throwaway database's collector)

PAGE = """
    SELECT c.id, c.reference, c.status, c.opened_on, d.kind, d.company_name, d.title, d.first_name, d.last_name,
           cl.name, u.name
    FROM collection_case c JOIN debtor d ON d.id = c.debtor_id JOIN client cl ON cl.id = c.client_id
    LEFT JOIN user_account u ON u.id = c.assigned_collector_id
    WHERE {where} ORDER BY c.opened_on DESC, c.id DESC LIMIT 51"""
# The bare SQL of each measure: the first page through the index that answers it, written by hand.
BARE = {
    "name": """c.id IN (SELECT m.id FROM debtor n JOIN collection_case m ON m.debtor_id = n.id
                        WHERE n.search_name LIKE :like ORDER BY m.opened_on DESC, m.id DESC LIMIT 51)""",
    "phone": "c.debtor_id IN (SELECT debtor_id FROM contact_point WHERE kind IN ('phone', 'email') AND value = :key)",
    "e-mail": "c.debtor_id IN (SELECT debtor_id FROM contact_point WHERE kind IN ('phone', 'email') AND value = :key)",
    "postcode": "c.debtor_id IN (SELECT debtor_id FROM contact_point WHERE kind = 'address' AND postcode = :key)",
    "SIREN": "c.debtor_id IN (SELECT id FROM debtor WHERE siren = :key)",
    "invoice": "c.id IN (SELECT case_id FROM claim WHERE invoice_number = :key)",
    "reference": "c.reference = :key",
    "list": "true",
    "list, status": "c.status = :key",
    "list, rare status": "c.status = :key",
    "list, client": "c.client_id = :key",
}


def signed_in_collector(url: str):
    """Return a test client signed in through the login form as one of the bench's collectors."""
    from agency.db import db
    from agency.models import Role, User
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "TESTING": False, "SCHEDULER_THREAD": False})
    with app.app_context():
        collector = db.session.scalar(sa.select(User).where(User.role == Role.COLLECTOR.value).limit(1))
        collector.set_password(BENCH_PASSWORD)
        email = collector.email
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    signed_in = client.post("/login", data={"email": email, "password": BENCH_PASSWORD, "csrf_token": token.group(1)})
    if signed_in.status_code != 302:
        raise SystemExit("the collector could not sign in")
    return client


class Terms:
    """What each load types, derived from the generated shape: load i of a kind names case k(i)."""

    def __init__(self, cases: int) -> None:
        from debtors.folding import fold

        self.cases = cases
        self.debtors = max(1, cases * 4 // 5)
        self.fold = fold

    def case(self, i: int) -> int:
        return 1 + (i * 104_729 + 12_345) % self.cases

    def debtor_of(self, case_id: int) -> int:
        return 1 + (case_id * 7919) % self.debtors

    def reference(self, case_id: int) -> str:
        return f"B{case_id:08d}"

    def name(self, i: int) -> tuple[str, None, str]:
        """A name as a collector types it, of a generated debtor: (term, None, bare LIKE of its longest word)."""
        person = 2 + 2 * ((i * 7919) % (self.debtors // 2 - 2))  # an even id: a common surname
        person += 2 if person % 5 == 0 else 0  # … of a person, not a company
        surname = COMMON_SURNAMES[(person // 2 * 37) % len(COMMON_SURNAMES)]
        first = FIRST_NAMES[(person * 31) % len(FIRST_NAMES)]
        shapes = [surname, f"{first} {surname}", f"{self.fold(surname)} {self.fold(first)}",
                  self._rare((2 * i * 1009 + 1) % self.debtors)]  # an odd id: a debtor of a rare name
        term = shapes[i % len(shapes)]
        longest = max(self.fold(term).split(), key=len)
        return term, None, f"%{longest}%"

    def _rare(self, debtor_id: int) -> str:
        return (SYLLABLES[debtor_id % 30] + SYLLABLES[(debtor_id // 30) % 30]
                + SYLLABLES[(debtor_id // 900) % 30]).capitalize()

    def phone(self, i: int) -> tuple[str, str, str]:
        case_id = self.case(i)
        digits = f"6{self.debtor_of(case_id):08d}"
        national = "0" + digits
        typed = [" ".join(national[n:n + 2] for n in range(0, 10, 2)), "+33" + digits,
                 "0033 " + digits[0] + " " + " ".join(digits[n:n + 2] for n in range(1, 9, 2))][i % 3]
        return typed, self.reference(case_id), "+33" + digits

    def siren(self, i: int) -> tuple[str, str, str]:
        case_id = next(k for k in (self.case(i + j) for j in range(50)) if self.debtor_of(k) % 5 == 0)
        siren = str(100_000_000 + self.debtor_of(case_id))
        return f"{siren[:3]} {siren[3:6]} {siren[6:]}", self.reference(case_id), siren

    def invoice(self, i: int) -> tuple[str, str, str]:
        case_id = self.case(i)
        return (f"F{case_id}" if i % 2 else f"f{case_id}"), self.reference(case_id), f"F{case_id}"

    def case_reference(self, i: int) -> tuple[str, str, str]:
        reference = self.reference(self.case(i))
        return (reference if i % 2 else reference.lower()), reference, reference

    def email(self, i: int) -> tuple[str, str, str]:
        case_id = self.case(i)
        address = f"debiteur{self.debtor_of(case_id)}@exemple.fr"
        return (address.upper() if i % 2 else address), self.reference(case_id), address

    def postcode(self, i: int) -> tuple[str, None, str]:
        code = f"{1000 + ((self.debtor_of(self.case(i)) * 7919) % 2000) * 48:05d}"
        return code, None, code


def time_pages(url: str, terms: Terms, loads: int) -> tuple[dict[str, list[float]], list[str]]:
    """Load every measure's page `loads` times as a collector; return ms by measure, and what went wrong."""
    client = signed_in_collector(url)
    searches: dict[str, Callable[[int], tuple]] = {
        "name": terms.name, "phone": terms.phone, "SIREN": terms.siren, "invoice": terms.invoice,
        "reference": terms.case_reference, "e-mail": terms.email, "postcode": terms.postcode,
    }
    lists = {"list": "/cases/", "list, status": "/cases/?status=promise", "list, rare status": "/cases/?status=hold",
             "list, client": "/cases/?client=7", "list, far page": None}
    client.get("/cases/")  # warm the templates
    times: dict[str, list[float]] = {}
    problems: list[str] = []
    for name, term_of in searches.items():
        times[name] = []
        for i in range(loads):
            typed, expected, _ = term_of(i)
            started = time.perf_counter()
            response = client.get("/cases/", query_string={"q": typed})
            times[name].append((time.perf_counter() - started) * 1000)
            page = response.get_data(as_text=True)
            if response.status_code != 200 or 'href="/cases/' not in page.split("<tbody>", 1)[-1]:
                problems.append(f"{name} {typed!r}: {response.status_code}, no case listed")
            elif expected and f">{expected}<" not in page:
                problems.append(f"{name} {typed!r}: {expected} not listed")
    far = _far_cursor(client)
    lists["list, far page"] = f"/cases/?after={far}"
    for name, path in lists.items():
        times[name] = []
        for _ in range(loads):
            started = time.perf_counter()
            response = client.get(path)
            times[name].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or 'data-testid="next-page"' not in response.get_data(as_text=True):
                problems.append(f"{path}: {response.status_code}, no full page")
    return times, problems


def _far_cursor(client) -> str:
    """Follow the list 20 pages down; return the cursor of its next page (about the 1,000th case)."""
    path = "/cases/"
    for _ in range(20):
        page = client.get(path).get_data(as_text=True)
        path = re.search(r'data-testid="next-page" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    return re.search(r"after=([^&]+)", path).group(1)


def time_bare(url: str, terms: Terms, loads: int) -> dict[str, list[float]]:
    """Time each measure's bare SQL `loads` times (other terms, same shapes); return ms by measure."""
    keys: dict[str, Callable[[int], dict]] = {
        "name": lambda i: {"like": terms.name(i)[2]},
        "phone": lambda i: {"key": terms.phone(i)[2]},
        "SIREN": lambda i: {"key": terms.siren(i)[2]},
        "invoice": lambda i: {"key": terms.invoice(i)[2]},
        "reference": lambda i: {"key": terms.case_reference(i)[2]},
        "e-mail": lambda i: {"key": terms.email(i)[2]},
        "postcode": lambda i: {"key": terms.postcode(i)[2]},
        "list": lambda i: {},
        "list, status": lambda i: {"key": "promise"},
        "list, rare status": lambda i: {"key": "hold"},
        "list, client": lambda i: {"key": 7},
    }
    engine = sa.create_engine(url)
    times: dict[str, list[float]] = {}
    with engine.connect() as connection:
        for name, params_of in keys.items():
            statement = sa.text(PAGE.format(where=BARE[name]))
            times[name] = []
            for i in range(loads):
                started = time.perf_counter()
                connection.execute(statement, params_of(i)).all()
                times[name].append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DESK_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is")
    parser.add_argument("--bulk", type=int, default=50_000, help="cases of each bulk batch (0: none)")
    parser.add_argument("--load-seconds", type=int, default=300,
                        help="how long 50 collectors and 10 client users work under gunicorn (0: no load test)")
    args = parser.parse_args(argv)
    if not args.keep:
        recreate_database(args.database_url)
        set_up(args.database_url, args.cases)
    terms = Terms(args.cases)
    bare = time_bare(args.database_url, terms, args.loads)
    pages, problems = time_pages(args.database_url, terms, args.loads)
    print(f"{'measure':<20}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'bare p95':>10}{'× bare':>10}")
    for name, measured in pages.items():
        base = bare.get(name) or bare["list"]
        print(f"{name:<20}{statistics.median(measured):>10.0f}{p95(measured):>10.0f}{max(measured):>10.0f}"
              f"{p95(base):>10.1f}{p95(measured) / p95(base):>10.1f}")
    search_p95 = max(p95(t) for name, t in pages.items() if not name.startswith("list"))
    list_p95 = max(p95(t) for name, t in pages.items() if name.startswith("list"))
    # Last: the batches change the cases the searches above name.
    bulk, bulk_problems = time_bulk(args.database_url, args.bulk) if args.bulk else ({}, [])
    problems += bulk_problems
    bulk_s = max(bulk.values(), default=0.0)
    load = None
    if args.load_seconds:
        load = run_load(args.database_url, seconds=args.load_seconds)
        print_table(load)
        problems += [f"{load.errors} request(s) of the load test failed"] if load.errors else []
    for problem in problems:
        print(f"  wrong: {problem}")
    load_figures = (f" load_users={load.users} load_p95_ms={load.worst_page_p95_ms:.0f} load_errors={load.errors}"
                    if load else "")
    print(f"desk cases={args.cases} search_p95_ms={search_p95:.0f} list_p95_ms={list_p95:.0f} bulk_s={bulk_s:.1f}"
          + load_figures)
    missed = search_p95 >= TARGET_MS or list_p95 >= TARGET_MS or bulk_s >= BULK_TARGET_S
    missed |= load is not None and load.worst_page_p95_ms >= LOAD_TARGET_MS
    return 1 if problems or missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
