"""Read and parse a 100,000-row French placement file in memory: rows per second and peak memory.

    python -m bench.placement_parse [rows]

The file looks like a French accounting export: ";" separated, decimal commas, DD/MM/YYYY dates,
about 2.5 invoices per debtor, companies with SIRET and people with a civility. Caches are cleared
before each measure, so the figures include the first sight of every date, phone and e-mail.
"""

from __future__ import annotations

import csv
import io
import random
import sys
import time
import tracemalloc
from datetime import date, timedelta

from stdnum import luhn

from cases.placement import values
from cases.placement.fields import guess_mapping
from cases.placement.reader import read_table
from cases.placement.rows import parse_row, parse_table
from cases.placement.values import fold

HEADERS = [
    "N° facture", "Date facture", "Échéance", "Montant TTC (€)", "Code client", "Raison sociale",
    "SIRET", "Email", "Téléphone", "Adresse", "Code postal", "Ville", "Pays", "Libellé",
]  # fmt: skip
FIRST = ["Jean", "Marie", "Pierre", "Sophie", "Luc", "Camille", "Hélène", "François", "Élodie", "Noël"]
LAST = ["DUPONT", "MARTIN", "BERNARD", "PETIT", "DURAND", "LEFÈVRE", "GARÇON", "MOREAU", "FAURE"]
FORMS = ["SARL", "SAS", "SA", "EURL", "SCI"]
TRADES = ["Boulangerie", "Garage", "Transports", "Menuiserie", "Pharmacie", "Plomberie", "Conseil"]
TOWNS = [("75011", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("01000", "Bourg-en-Bresse")]
MAILS = ["orange.fr", "gmail.com", "free.fr", "wanadoo.fr", "laposte.net"]


def _siret(rng: random.Random) -> str:
    siren = str(rng.randrange(10_000_000, 99_999_999))
    siren += luhn.calc_check_digit(siren)
    nic = f"{rng.randrange(1, 9999):04d}"
    siret = siren + nic + luhn.calc_check_digit(siren + nic)
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"


def _phone(rng: random.Random) -> str:
    digits = f"6{rng.randrange(10, 29)}{rng.randrange(0, 1_000_000):06d}"
    pairs = " ".join(digits[i : i + 2] for i in range(1, 9, 2))
    return rng.choice([f"0{digits[0]} {pairs}", f"0{digits}", f"+33 {digits[0]} {pairs}"])


def _debtor(rng: random.Random, number: int) -> list[str]:
    town = rng.choice(TOWNS)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if rng.random() < 0.5:
        name, siret = f"{rng.choice(TRADES)} {last.title()} {rng.choice(FORMS)}", _siret(rng)
        mail = f"compta{number}@{fold(last)}-{number}.fr"
    else:
        name, siret = f"{rng.choice(['M.', 'Mme'])} {first} {last}", ""
        mail = f"{fold(first)}.{fold(last)}{number}@{rng.choice(MAILS)}"
    street = f"{rng.randrange(1, 200)} rue de la République"
    return [f"C{number:06d}", name, siret, mail, _phone(rng), street, *town, "France"]


def _amount(rng: random.Random) -> str:
    cents = rng.randrange(1_000, 2_500_000)
    euros = f"{cents // 100:,}".replace(",", rng.choice([" ", ".", ""]))
    return f"{euros},{cents % 100:02d}" + rng.choice(["", " €"])


def make_file(rows: int, seed: int = 20251231) -> bytes:
    """Return `rows` invoices as the UTF-8 CSV bytes a French client would send."""
    rng = random.Random(seed)
    debtors = [_debtor(rng, n) for n in range(max(1, rows * 2 // 5))]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    start = date(2024, 1, 1)
    for n in range(rows):
        issued = start + timedelta(days=rng.randrange(0, 700))
        due = issued + timedelta(days=rng.choice([0, 30, 45, 60]))
        code, *who, town_name, country = rng.choice(debtors)
        invoice = [f"FA{n:07d}", f"{issued:%d/%m/%Y}", f"{due:%d/%m/%Y}", _amount(rng), code]
        writer.writerow([*invoice, *who, town_name, country, f"Facture {n} prestations"])
    return out.getvalue().encode("utf-8")


def _clear_caches() -> None:
    for parser in (values.parse_date, values.parse_phone, values.parse_email,
                   values.parse_siren, values.parse_country, values.has_legal_form, values.split_person_name):  # fmt: skip
        parser.cache_clear()


def run(data: bytes) -> dict[str, float | int]:
    """Time one read and two parses of the file: row by row with parse_row, and with parse_table."""
    _clear_caches()
    started = time.perf_counter()
    table = read_table(data, "placement.csv")
    read_done = time.perf_counter()
    mapping = guess_mapping(table.headers)
    records, rejected = [], 0  # records kept, as the import keeps them, so memory and GC count them
    for cells, line in zip(table.rows, table.lines, strict=True):
        record, _rejections = parse_row(cells, line, mapping, table.headers)
        if record is None:
            rejected += 1
        else:
            records.append(record)
    rows_done = time.perf_counter()
    del records
    _clear_caches()
    table_started = time.perf_counter()
    results = parse_table(table, mapping)
    table_done = time.perf_counter()
    return {
        "read_table": read_done - started,
        "parse_row loop": rows_done - read_done,
        "parse_table": table_done - table_started,
        "records": len(results) - rejected,
        "rejected": rejected,
    }


def main(rows: int = 100_000) -> None:
    """Print the table of figures for a file of `rows` invoices."""
    data = make_file(rows)
    best = min((run(data) for _ in range(3)), key=lambda r: r["read_table"] + r["parse_row loop"])
    tracemalloc.start()
    run(data)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"placement file: {rows:,} rows, {len(data) / 1e6:.1f} MB; {best['records']:,} records, {best['rejected']:,} rejected"
    )
    print(f"{'step':<34}{'seconds':>9}{'rows/s':>11}")
    steps = [
        ("read_table", best["read_table"]),
        ("guess_mapping + parse_row loop", best["parse_row loop"]),
        ("parse_table (GC held)", best["parse_table"]),
        ("read + parse_row loop", best["read_table"] + best["parse_row loop"]),
        ("read + parse_table", best["read_table"] + best["parse_table"]),
    ]
    for step, seconds in steps:
        print(f"{step:<34}{seconds:>9.3f}{rows / seconds:>11,.0f}")
    print(f"peak memory (tracemalloc, file bytes + table + records): {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
