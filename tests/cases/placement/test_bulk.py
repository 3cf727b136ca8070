"""Bulk reads and writes: many values in one lookup, ids reserved in one statement."""

from __future__ import annotations

import sqlalchemy as sa

from agency.bulk import allocate_ids, select_in
from debtors.models import Debtor
from tests import factories


def _names(values) -> set[str]:
    return {name for (name,) in select_in(sa.select(Debtor.last_name), Debtor.last_name, values)}


def test_select_in_finds_every_value_asked_and_no_other(db_session):
    wanted = [factories.debtor(last_name=f"Nom{n}").last_name for n in range(3)]
    factories.debtor(last_name="Autre")
    assert _names([*wanted, "Inconnu", wanted[0]]) == set(wanted)


def test_select_in_keeps_values_holding_the_separator_or_empty(db_session):
    odd = factories.debtor(last_name="Nom\x1fsepare").last_name
    factories.debtor(last_name="Nom")
    assert _names([odd]) == {odd}
    assert _names([""]) == set()  # one empty value is not "no value": it finds nothing, and fails not
    assert _names(["Nom", ""]) == {"Nom"}


def test_select_in_on_integers_over_many_values(db_session):
    ids = [factories.debtor().id for _ in range(3)]
    found = {i for (i,) in select_in(sa.select(Debtor.id), Debtor.id, [*range(-12_000, 0), *ids], sa.Integer)}
    assert found == set(ids)


def test_allocated_ids_are_distinct_and_unused(db_session):
    taken = factories.debtor().id
    ids = allocate_ids(Debtor.__table__, 5)
    assert len(set(ids)) == 5 and taken not in ids
    assert allocate_ids(Debtor.__table__, 0) == []
