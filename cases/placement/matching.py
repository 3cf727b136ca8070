"""Which debtor each placed invoice belongs to: grouping the file's rows, then matching known debtors.

Rules (in this order of trust): the client's own customer number for the debtor, the SIREN, the same
e-mail address or phone number together with the same name. Rows that share any of these keys are one
debtor, even when no row carries all of them (a union-find over the keys).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa

from agency.bulk import select_in
from cases.placement.rows import Record
from debtors.models import ContactPoint, Debtor, DebtorReference

# Words that do not tell two debtors apart: civilities and legal forms.
_NOISE = frozenset(
    "m mme mlle mr mrs ms monsieur madame mademoiselle sarl sas sasu sa eurl snc sci selarl ei eirl sca scop "
    "scs gie et cie ste societe".split()
)


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """Reduce a person's or company's name to a comparable key: no accents, case, order or legal form."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _NOISE]
    return " ".join(sorted(words))


def record_name_key(record: Record) -> str:
    """Return the name key of the debtor a row describes."""
    if record.debtor_kind == "company":
        return name_key(record.company_name)
    return name_key(f"{record.first_name} {record.last_name}")


def debtor_name_key(debtor_kind: str, company_name: str, first_name: str, last_name: str) -> str:
    """Return the name key of a known debtor."""
    return name_key(company_name if debtor_kind == "company" else f"{first_name} {last_name}")


@dataclass
class DebtorGroup:
    """The rows of one debtor in the file, and the known debtor they match, if any."""

    records: list[Record] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)  # the identifying keys of the rows (repeats harmless)
    debtor_id: int | None = None
    matched_by: str = ""

    @property
    def first(self) -> Record:
        return self.records[0]

    def add(self, record: Record, keys: list[tuple]) -> None:
        self.records.append(record)
        self.keys.extend(keys)


def _record_keys(record: Record) -> list[tuple]:
    name = record_name_key(record)
    keys: list[tuple] = []
    if record.external_id:
        keys.append(("ext", record.external_id))
    if record.siren:
        keys.append(("siren", record.siren))
    if record.email:
        keys.append(("email", record.email, name))
    keys.extend(("phone", phone, name) for phone in record.phones)
    if not keys:
        keys.append(("name", name, record.postcode))
    return keys


def group_records(records: Iterable[Record]) -> list[DebtorGroup]:
    """Put rows that share an identifying key (and a currency) into one group per debtor."""
    parent: dict[tuple, tuple] = {}

    def find(key: tuple) -> tuple:
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:  # path compression keeps later finds short
            parent[key], key = root, parent[key]
        return root

    rows = [(record, _record_keys(record)) for record in records]  # computed once per row
    for _record, keys in rows:
        for key in keys:
            parent.setdefault(key, key)
        for key in keys[1:]:
            parent[find(key)] = find(keys[0])
    groups: dict[tuple, DebtorGroup] = {}
    for record, keys in rows:
        root = (find(keys[0]), record.currency)
        groups.setdefault(root, DebtorGroup()).add(record, keys)
    return list(groups.values())


def match_known_debtors(groups: list[DebtorGroup], client_id: int) -> None:
    """Set `debtor_id` on every group whose debtor the agency already knows."""
    # A name alone (with a postcode) groups rows in the file but never matches a known debtor.
    values: dict[str, set] = {"ext": set(), "siren": set(), "contact": set(), "name": set()}
    for group in groups:
        for key in group.keys:
            values["contact" if key[0] in ("email", "phone") else key[0]].add(key[1])
    by_external = _first_by_value(
        sa.select(DebtorReference.external_id, DebtorReference.debtor_id).where(
            DebtorReference.client_id == client_id
        ),
        DebtorReference.external_id,
        values["ext"],
    )
    by_siren = _first_by_value(sa.select(Debtor.siren, Debtor.id), Debtor.siren, values["siren"])
    by_contact = _lookup_contacts(values["contact"])
    lookups = {"ext": by_external, "siren": by_siren}
    for group in groups:
        for key in group.keys:
            if key[0] in ("email", "phone"):
                found = by_contact.get(key)
            else:
                found = lookups.get(key[0], {}).get(key[1])
            if found is not None:
                group.debtor_id, group.matched_by = found, key[0]
                break


def _first_by_value(select: sa.Select, column, values: set) -> dict:
    found: dict = {}
    for value, debtor_id in select_in(select, column, values):
        found.setdefault(value, debtor_id)
    return found


def _lookup_contacts(values: set[str]) -> dict[tuple, int]:
    """Map (kind, value, name key) of known e-mails and phones to their debtor."""
    select = (
        sa.select(
            ContactPoint.kind,
            ContactPoint.value,
            Debtor.id,
            Debtor.kind,
            Debtor.company_name,
            Debtor.first_name,
            Debtor.last_name,
        )
        .join(Debtor, ContactPoint.debtor_id == Debtor.id)
        .where(ContactPoint.kind.in_(("email", "phone")))
    )
    found: dict[tuple, int] = {}
    for kind, value, debtor_id, debtor_kind, company, first, last in select_in(
        select, ContactPoint.value, values
    ):
        found.setdefault((kind, value, debtor_name_key(debtor_kind, company, first, last)), debtor_id)
    return found


def merge_same_debtor(groups: list[DebtorGroup]) -> list[DebtorGroup]:
    """Join groups that turned out to be the same known debtor (matched through different keys)."""
    merged: dict[tuple, DebtorGroup] = {}
    result = []
    for group in groups:
        if group.debtor_id is None:
            result.append(group)
            continue
        key = (group.debtor_id, group.first.currency)
        if key in merged:
            merged[key].records.extend(group.records)
            merged[key].keys.extend(group.keys)
        else:
            merged[key] = group
            result.append(group)
    return result
