"""Which debtor each placed invoice belongs to: grouping the file's rows, then matching known debtors.

Rules (in this order of trust): the client's own customer number for the debtor, the SIREN, the same
e-mail address or phone number together with the same name. Rows that share any of these keys are one
debtor, even when no row carries all of them (a union-find over the keys).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa

from agency.db import db
from cases.placement.rows import Record
from debtors.models import ContactPoint, Debtor, DebtorReference

# Words that do not tell two debtors apart: civilities and legal forms.
_NOISE = frozenset(
    "m mme mlle mr mrs ms monsieur madame mademoiselle sarl sas sasu sa eurl snc sci selarl ei eirl sca scop "
    "scs gie et cie ste societe".split()
)
_CHUNK = 5000  # values per IN list: well under SQLite's variable limit


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
    debtor_id: int | None = None
    matched_by: str = ""

    @property
    def first(self) -> Record:
        return self.records[0]

    def keys(self) -> Iterator[tuple]:
        """Yield every identifying key of the group's rows."""
        for record in self.records:
            yield from _record_keys(record)


def _record_keys(record: Record) -> Iterator[tuple]:
    name = record_name_key(record)
    if record.external_id:
        yield ("ext", record.external_id)
    if record.siren:
        yield ("siren", record.siren)
    if record.email:
        yield ("email", record.email, name)
    for phone in record.phones:
        yield ("phone", phone, name)
    if not (record.external_id or record.siren or record.email or record.phones):
        yield ("name", name, record.postcode)


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

    rows = list(records)
    for record in rows:
        keys = list(_record_keys(record))
        for key in keys:
            parent.setdefault(key, key)
        for key in keys[1:]:
            parent[find(key)] = find(keys[0])
    groups: dict[tuple, DebtorGroup] = {}
    for record in rows:
        root = (find(next(_record_keys(record))), record.currency)
        groups.setdefault(root, DebtorGroup()).records.append(record)
    return list(groups.values())


def match_known_debtors(groups: list[DebtorGroup], client_id: int) -> None:
    """Set `debtor_id` on every group whose debtor the agency already knows."""
    by_external = _lookup_external_ids(groups, client_id)
    by_siren = _lookup(
        sa.select(Debtor.siren, Debtor.id),
        Debtor.siren,
        {k[1] for g in groups for k in g.keys() if k[0] == "siren"},
    )
    by_contact = _lookup_contacts(groups)
    for group in groups:
        for key in group.keys():
            found = (
                by_external.get(key[1])
                if key[0] == "ext"
                else by_siren.get(key[1])
                if key[0] == "siren"
                else by_contact.get(key)
                if key[0] in ("email", "phone")
                else None
            )
            if found is not None:
                group.debtor_id, group.matched_by = found, key[0]
                break


def _chunks(values: Iterable, size: int = _CHUNK) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _lookup(select: sa.Select, column, values: set) -> dict:
    found: dict = {}
    for chunk in _chunks(values):
        for value, debtor_id in db.session.execute(select.where(column.in_(chunk))):
            found.setdefault(value, debtor_id)
    return found


def _lookup_external_ids(groups: list[DebtorGroup], client_id: int) -> dict[str, int]:
    values = {k[1] for g in groups for k in g.keys() if k[0] == "ext"}
    select = sa.select(DebtorReference.external_id, DebtorReference.debtor_id).where(
        DebtorReference.client_id == client_id
    )
    return _lookup(select, DebtorReference.external_id, values)


def _lookup_contacts(groups: list[DebtorGroup]) -> dict[tuple, int]:
    """Map (kind, value, name key) of known usable contact points to their debtor."""
    values = {k[1] for g in groups for k in g.keys() if k[0] in ("email", "phone")}
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
    for chunk in _chunks(values):
        for kind, value, debtor_id, debtor_kind, company, first, last in db.session.execute(
            select.where(ContactPoint.value.in_(chunk))
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
        else:
            merged[key] = group
            result.append(group)
    return result
