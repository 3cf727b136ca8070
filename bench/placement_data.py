"""The generated placement file of the benchmark: realistic French invoices, fixed seed."""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum import luhn

SEED = 20260101

HEADERS = [
    "N° facture", "Date facture", "Échéance", "Montant TTC", "Raison sociale", "Prénom", "Nom", "SIRET",
    "Email", "Téléphone", "Adresse", "Code postal", "Ville", "Code client",
]  # fmt: skip
FIRST = [
    "Jean", "Marie", "Pierre", "Sophie", "Luc", "Camille", "Hélène", "François", "Élodie", "Noël",
    "Anaïs", "Jérôme", "Inès", "Loïc", "Chloé", "Thierry", "Nathalie", "Stéphane", "Zoé", "Benoît",
    "Céline", "Grégoire", "Maëlle", "Rémi", "Agnès", "Joël", "Léa", "Mathis", "Océane", "Hugo",
]  # fmt: skip
LAST = [
    "DUPONT", "MARTIN", "BERNARD", "PETIT", "DURAND", "LEFÈVRE", "GARÇON", "MOREAU", "FAURE", "ROUSSEL",
    "GIRARD", "BONNET", "MERCIER", "LAMBERT", "FONTAINE", "CHEVALIER", "ROBIN", "MASSON", "SANCHEZ",
    "MULLER", "HENRY", "ROUX", "NICOLAS", "PERRIN", "MOREL", "GAUTHIER", "LEROY", "DA SILVA", "LE GALL",
    "N'DIAYE", "BOUCHER", "RENAUD", "BRUN", "BLANC", "GUÉRIN", "MEUNIER", "COLIN", "VIDAL", "CARON",
]  # fmt: skip
TRADES = [
    "Boulangerie", "Garage", "Transports", "Menuiserie", "Pharmacie", "Plomberie", "Conseil", "Boucherie",
    "Électricité", "Maçonnerie", "Restaurant", "Coiffure", "Imprimerie", "Fleurs", "Informatique",
]  # fmt: skip
FORMS = ["SARL", "SAS", "SA", "EURL", "SCI", "SASU", "SNC"]
STREETS = [
    "rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue Pasteur", "place du Marché",
    "chemin des Vignes", "allée des Tilleuls", "rue de l'Église", "impasse des Lilas", "route de Lyon",
    "quai Saint-Antoine", "rue du Général de Gaulle",
]  # fmt: skip
# (postcode, town, the landline area digit)
TOWNS = [
    ("75011", "Paris", "1"), ("75015", "Paris", "1"), ("92100", "Boulogne-Billancourt", "1"),
    ("69003", "Lyon", "4"), ("13001", "Marseille", "4"), ("01000", "Bourg-en-Bresse", "4"),
    ("06000", "Nice", "4"), ("59000", "Lille", "3"), ("67000", "Strasbourg", "3"), ("44000", "Nantes", "2"),
    ("35000", "Rennes", "2"), ("33000", "Bordeaux", "5"), ("31000", "Toulouse", "5"),
    ("34000", "Montpellier", "4"), ("21000", "Dijon", "3"), ("29200", "Brest", "2"),
]  # fmt: skip
# Second digits of French landline and mobile numbers that phonenumbers holds valid (FR metadata).
LANDLINE_SECOND = {"1": "0123456789", "2": "01234578", "3": "0123456789", "4": "123456789", "5": "012345678"}
MOBILE_PREFIXES = ["60", "61", "62", "64", "65", "66", "67", "68", "73", "74", "75", "76", "77", "78"]
PERSON_MAILS = ["mail-demo.fr", "courriel-demo.fr", "boite-demo.fr", "messagerie-demo.fr"]
COMPANY_MAIL_USERS = ["compta", "contact", "facturation", "direction", "admin"]


# --- the file -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedFile:
    path: str
    rows: int
    debtors: int
    companies: int
    total_cents: int
    size: int


def _slug(text: str) -> str:
    from cases.placement.values import fold

    return "-".join(fold(text).split())


def _siren(rng: random.Random, taken: set[str]) -> str:
    while True:
        siren = str(rng.randrange(10_000_000, 100_000_000))
        siren += luhn.calc_check_digit(siren)
        if siren not in taken:
            taken.add(siren)
            return siren


def _siret_cell(rng: random.Random, siren: str) -> str:
    nic = f"{rng.randrange(1, 300):04d}"
    nic += luhn.calc_check_digit(siren + nic)
    siret = siren + nic
    style = rng.random()
    if style < 0.6:
        return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    if style < 0.9:
        return siret
    return siren  # some exports give the SIREN only


def _phone(rng: random.Random, area: str, mobile: bool, taken: set[str]) -> str:
    while True:
        if mobile:
            digits = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(0, 10_000_000):07d}"
        else:
            digits = area + rng.choice(LANDLINE_SECOND[area]) + f"{rng.randrange(0, 10_000_000):07d}"
        if digits not in taken:
            taken.add(digits)
            break
    pairs = " ".join(digits[i : i + 2] for i in range(1, 9, 2))
    style = rng.random()
    if style < 0.55:
        return f"0{digits[0]} {pairs}"
    if style < 0.8:
        return f"0{digits}"
    if style < 0.9:
        return f"0{digits[0]}.{pairs.replace(' ', '.')}"
    return f"+33 {digits[0]} {pairs}"


def _debtor(rng: random.Random, number: int, sirens: set[str], phones: set[str]) -> tuple[bool, list[str]]:
    """Return (is a company, the debtor's cells from "Raison sociale" to "Code client")."""
    postcode, town, area = rng.choice(TOWNS)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    street = f"{rng.randrange(1, 250)}{rng.choice(['', '', '', ' bis'])} {rng.choice(STREETS)}"
    code = f"C{number:06d}"
    if rng.random() < 0.45:
        trade, form = rng.choice(TRADES), rng.choice(FORMS)
        name = f"{trade} {last.title()} {form}" if rng.random() < 0.7 else f"{form} {last} {trade.upper()}"
        siret = _siret_cell(rng, _siren(rng, sirens))
        mail = (
            f"{rng.choice(COMPANY_MAIL_USERS)}@{_slug(trade)}-{_slug(last)}-{number}.demo-pro.fr"
            if rng.random() < 0.85
            else ""
        )
        phone = _phone(rng, area, rng.random() < 0.3, phones) if rng.random() < 0.9 else ""
        return True, [name, "", "", siret, mail, phone, street, postcode, town, code]
    mail = f"{_slug(first)}.{_slug(last)}.{number}@{rng.choice(PERSON_MAILS)}" if rng.random() < 0.8 else ""
    phone = _phone(rng, area, rng.random() < 0.8, phones) if rng.random() < 0.9 else ""
    return False, ["", first, last, "", mail, phone, street, postcode, town, code]


def _amount_cell(rng: random.Random) -> tuple[int, str]:
    cents = max(500, min(5_000_000, int(rng.lognormvariate(11.0, 1.1))))  # median about 600 €
    euros = f"{cents // 100:,}".replace(",", rng.choice([" ", " ", ".", ""]))
    return cents, f"{euros},{cents % 100:02d}" + rng.choice(["", "", " €"])


def make_file(rows: int, directory: str, seed: int = SEED) -> GeneratedFile:
    """Write a placement CSV of `rows` invoices of about 0.6 × rows distinct debtors (1 to 4 each)."""
    rng = random.Random(seed)
    count = max(1, round(rows * 0.6))
    sirens: set[str] = set()
    phones: set[str] = set()
    debtors = [_debtor(rng, n + 1, sirens, phones) for n in range(count)]
    invoices = [1] * count
    extra = rows - count
    while extra > 0:
        pick = rng.randrange(count)
        if invoices[pick] < 4:
            invoices[pick] += 1
            extra -= 1
    start = date(2024, 1, 1)
    lines = []
    for index, n in enumerate(invoices):
        for _ in range(n):
            lines.append((start + timedelta(days=rng.randrange(0, 640)), index))
    lines.sort()  # an accounting export lists invoices by date, the debtors' invoices far apart
    path = os.path.join(directory, "placement-factures.csv")
    total = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        for seq, (issued, index) in enumerate(lines, start=1):
            due = issued + timedelta(days=rng.choice([0, 30, 30, 45, 60]))
            cents, amount = _amount_cell(rng)
            total += cents
            number = f"FA{issued.year}-{seq:06d}"
            writer.writerow([number, f"{issued:%d/%m/%Y}", f"{due:%d/%m/%Y}", amount, *debtors[index][1]])
    companies = sum(1 for is_company, _ in debtors if is_company)
    return GeneratedFile(path, rows, count, companies, total, os.path.getsize(path))


# --- the database -------------------------------------------------------------------------------
